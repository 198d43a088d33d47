"""OutboxRelay: publishes a schema's outbox rows in confirmed batches, woken by NOTIFY."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from kombu.connection import Connection
from sqlalchemy import (
    BigInteger,
    Engine,
    MetaData,
    Row,
    Select,
    Update,
    any_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app.bus import metrics
from app.bus.backoff import Backoff
from app.bus.broker import connect
from app.bus.confirms import BatchPublisher
from app.bus.listener import OutboxListener
from app.bus.topology import OUTBOX_EXCHANGES, declare_topology
from app.persistence import Prepared, notify_channel, outbox_table

log = logging.getLogger(__name__)

IDLE_WAIT_S = 1.0


class OutboxRelay:
    """Safe to run several at once: each batch is claimed with FOR UPDATE SKIP LOCKED."""

    def __init__(
        self,
        engine: Engine,
        schema: str,
        broker_url: str,
        batch_size: int = 500,
        *,
        exchange: str | None = None,
        idle_wait_s: float = IDLE_WAIT_S,
        declare_with_delays: Sequence[int] | None = None,
    ) -> None:
        """`exchange` defaults to the schema's entry of OUTBOX_EXCHANGES (tests pass their own schema);
        `idle_wait_s` bounds the wait for a NOTIFY before the table is read again anyway.

        With `declare_with_delays`, every new broker connection first declares the whole topology: the
        broker confirms a message no queue is bound to yet and drops it, so a relay that starts before
        any worker (or after a broker reset) must not publish into nothing.
        """
        self._engine = engine
        self._schema = schema
        self._table = outbox_table(MetaData(schema=schema))
        self._exchange = exchange or OUTBOX_EXCHANGES[schema]
        self._broker_url = broker_url
        self._batch_size = batch_size
        self._connection: Connection | None = None
        self._publisher: BatchPublisher | None = None
        self._listener = OutboxListener(engine, notify_channel(schema))
        self._claim = Prepared(f"payflow_{schema}_relay_claim_{batch_size}", self._claim_batch())
        self._mark = Prepared(f"payflow_{schema}_relay_mark", self._marking())
        self._idle_wait_s = idle_wait_s
        self._declare_with_delays = declare_with_delays

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; a failing database or broker is logged and retried, never fatal."""
        backoff = Backoff()
        try:
            while not stop.is_set():
                try:
                    self._pass()
                    backoff.reset()
                except Exception as exc:  # noqa: BLE001 - the relay thread must outlive any outage
                    delay = backoff.next()
                    log.warning("outbox relay %s: %s; retrying in %.1f s", self._schema, exc, delay)
                    self._disconnect()
                    stop.wait(delay)
        finally:
            self._disconnect()

    def _pass(self) -> None:
        self._listener.open()  # before reading, so no NOTIFY after the read can be missed
        if self.drain_once() < self._batch_size:
            self._listener.wait(self._idle_wait_s)

    def drain_once(self) -> int:
        """Publish one batch of unpublished rows in `seq` order, mark them published; the number relayed.

        The rows stay locked until the broker confirmed the whole batch; a nack, a timeout or a broken
        link raises before the UPDATE, so the batch stays unpublished and is relayed again.
        """
        publisher = self._ensure_publisher()
        with self._engine.begin() as conn:
            rows = self._claim.run(conn, {}).all()
            for row in rows:
                self._publish(publisher, row)
            if rows:
                publisher.confirm()
                self._mark.run(conn, {"seqs": [row.seq for row in rows]})
        for row in rows:  # counted once committed: a failed commit relays (and counts) them again later
            metrics.record_published(self._schema, row.event_type)
        return len(rows)

    def _claim_batch(self) -> Select[Any]:
        t = self._table
        return (
            select(t.c.seq, t.c.event_id, t.c.event_type, t.c.correlation_id, t.c.body)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.seq)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )

    def _marking(self) -> Update:
        t = self._table
        seqs = bindparam("seqs", type_=ARRAY(BigInteger()))
        return update(t).where(t.c.seq == any_(seqs)).values(published_at=func.now())

    def _publish(self, publisher: BatchPublisher, row: Row[Any]) -> None:
        publisher.publish(
            row.body,
            exchange=self._exchange,
            routing_key=row.event_type,
            headers={"correlation_id": row.correlation_id},
            message_id=str(row.event_id),
            correlation_id=row.correlation_id,
        )

    def _ensure_publisher(self) -> BatchPublisher:
        if self._connection is None or self._publisher is None:
            connection = connect(self._broker_url, confirm_each=False)
            connection.connect()
            if self._declare_with_delays is not None:
                declare_topology(connection, self._declare_with_delays)
            self._connection = connection
            self._publisher = BatchPublisher(connection)
        self._connection.heartbeat_check()
        return self._publisher

    def _disconnect(self) -> None:
        connection, self._connection, self._publisher = self._connection, None, None
        self._listener.close()
        if connection is not None:
            # Closing a link that already broke may raise; it is being thrown away either way.
            with contextlib.suppress(Exception):
                connection.release()
