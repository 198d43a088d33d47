"""Bus integration fixtures: a throw-away outbox schema, the topology in the session vhost, an observer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.messaging import Consumer
from sqlalchemy import Engine, MetaData, Table, text

from app.bus import connect, declare_topology
from app.contracts import Envelope, OrderCancelled
from app.persistence import append_events, outbox_table

RETRY_DELAYS_MS = (50, 100)


@pytest.fixture
def outbox(migrated_engine: Engine) -> Iterator[Table]:
    """An empty outbox table in a schema of this test's own, dropped afterwards."""
    schema = f"bus_test_{uuid.uuid4().hex[:10]}"
    table = outbox_table(MetaData(schema=schema))
    with migrated_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        table.metadata.create_all(conn)
    yield table
    with migrated_engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def append(migrated_engine: Engine, outbox: Table) -> Callable[[int], list[Envelope]]:
    """Write `n` events to the outbox in one transaction (as a module would), returning them."""

    def write(n: int) -> list[Envelope]:
        envelopes = [OrderCancelled(uuid.uuid4()).to_envelope(f"corr-{i}") for i in range(n)]
        with migrated_engine.begin() as conn:
            append_events(conn, outbox, envelopes)
        return envelopes

    return write


@pytest.fixture
def amqp(broker_url: str) -> Iterator[Connection]:
    """A connection to the session's vhost with the whole topology declared."""
    with connect(broker_url) as connection:
        declare_topology(connection, RETRY_DELAYS_MS)
        yield connection


class Observer:
    """A queue bound to everything on a test exchange of its own; `collect` waits for deliveries."""

    def __init__(self, connection: Connection) -> None:
        self.exchange = f"bus-test-{uuid.uuid4().hex[:8]}"
        self._connection = connection
        self._channel = connection.channel()
        exchange = Exchange(self.exchange, type="topic", auto_delete=True)
        self.queue = Queue(f"{self.exchange}.observer", exchange, routing_key="#", auto_delete=True)
        self.received: list[Any] = []
        self._consumer = Consumer(self._channel, [self.queue], on_message=self._keep)
        self._consumer.consume()

    def _keep(self, message: Any) -> None:
        message.ack()
        self.received.append(message)

    def collect(self, count: int, within_s: float) -> list[Any]:
        """Everything received so far, once at least `count` arrived or `within_s` passed."""
        deadline = time.monotonic() + within_s
        while len(self.received) < count and (left := deadline - time.monotonic()) > 0:
            try:
                self._connection.drain_events(timeout=left)
            except TimeoutError:
                break
        return list(self.received)

    def close(self) -> None:
        self._consumer.cancel()
        self._channel.close()


@pytest.fixture
def observer(broker_url: str) -> Iterator[Observer]:
    with connect(broker_url) as connection:
        watching = Observer(connection)
        yield watching
        watching.close()
