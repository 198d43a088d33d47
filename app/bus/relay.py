"""OutboxRelay: publishes an outbox table's rows in batches the broker confirms, woken by its own process."""

import contextlib
import logging
import threading
import time

from sqlalchemy import Engine, Table, func, update
from sqlalchemy import select as select_rows

from app.bus import metrics
from app.bus.broker import Backoff, connect, drain_ready, open_connection
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import OUTBOX_EXCHANGES, Topology

log = logging.getLogger(__name__)


class OutboxRelay:
    """Relays an outbox `table`; several may run at once (batches are claimed with SKIP LOCKED). With a
    `topology`, each new broker connection declares it first: the broker confirms and drops a message no
    queue is bound to yet, so a relay started before any worker must not publish into nothing.

    The process that writes the table calls `wake` after each commit that added rows; rows written
    elsewhere (another process that died before relaying them, `payflow republish`) are found within
    `idle_wait_s`. Not PostgreSQL's NOTIFY: a transaction that notifies holds a cluster-wide lock from
    its commit until the commit is on disk, so every writer's commit waited on the one before (README,
    Benchmark)."""

    def __init__(
        self,
        engine: Engine,
        table: Table,
        broker_url: str,
        *,
        topology: Topology | None,
        batch_size: int = 500,
        idle_wait_s: float = 1.0,
        linger_s: float = 0.0,
    ) -> None:
        self._engine, self._schema = engine, str(table.schema)
        self._broker_url, self._topology = broker_url, topology
        self._batch_size, self._idle_wait_s, self._linger_s = batch_size, idle_wait_s, linger_s
        self._publisher: ConfirmingPublisher | None = None
        self._written = threading.Event()
        unpublished = select_rows(table.c.seq).where(table.c.published_at.is_(None)).order_by(table.c.seq)
        claimed = unpublished.limit(batch_size).with_for_update(skip_locked=True).scalar_subquery()
        marked = update(table).where(table.c.seq.in_(claimed)).values(published_at=func.now())
        self._claim = marked.returning(
            table.c.seq, table.c.event_id, table.c.event_type, table.c.correlation_id, table.c.body
        )

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

    def wake(self) -> None:
        """Rows were committed: relay them now rather than after the idle wait (any thread may call it)."""
        self._written.set()

    def drain_once(self) -> int:
        """Publish one claimed batch in `seq` order and commit once the broker confirmed it all; the number
        relayed. A nack, a timeout or a broken link raises before the commit: the rows are relayed again."""
        publisher = self._ensure_publisher()
        with self._engine.begin() as conn:
            rows = sorted(conn.execute(self._claim).all(), key=lambda row: row.seq)
            for row in rows:
                publisher.publish(
                    row.body,
                    exchange=OUTBOX_EXCHANGES[self._schema],
                    routing_key=row.event_type,
                    headers={"correlation_id": row.correlation_id},
                    message_id=str(row.event_id),
                    correlation_id=row.correlation_id,
                )
            if rows:
                publisher.confirm()
        for row in rows:  # counted once committed: a failed commit relays (and counts) them again later
            metrics.record_published(self._schema, row.event_type)
        return len(rows)

    def _pass(self) -> None:
        self._written.clear()  # before reading, so no wake-up after the read can be missed
        relayed = self.drain_once()
        if relayed < self._batch_size:
            # After a batch, pause so the rows committed meanwhile share the next confirm; an event that
            # comes after a quiet spell goes out at once.
            if relayed:
                time.sleep(self._linger_s)
            self._written.wait(self._idle_wait_s)
        if self._publisher is not None:  # idle: read the broker's heartbeats and send ours
            drain_ready(self._publisher.connection, self._batch_size)
            self._publisher.connection.heartbeat_check()

    def _ensure_publisher(self) -> ConfirmingPublisher:
        if self._publisher is None:
            connection = connect(self._broker_url)
            try:
                open_connection(connection)  # the first node of the list that accepts
                log.info("outbox relay %s publishing on %s", self._schema, connection.as_uri())
                if self._topology is not None:  # may refuse (TopologyMismatch): retried until migrated
                    self._topology.declare(connection)
            except BaseException:
                connection.release()  # not kept by anything yet: every retry would leak a socket
                raise
            self._publisher = ConfirmingPublisher(connection)
        return self._publisher

    def _disconnect(self) -> None:
        publisher, self._publisher = self._publisher, None
        # Closing a link that already broke may raise; it is being thrown away either way.
        with contextlib.suppress(Exception):
            if publisher is not None:
                publisher.connection.release()
