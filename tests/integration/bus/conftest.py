"""Bus integration fixtures: either module's outbox on this test's database, and an observer queue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Consumer
from sqlalchemy import Engine, Table, func, select

from app import gateway, payments
from app.bus import OUTBOX_EXCHANGES, connect
from app.bus.entities import events_exchange
from app.bus.publisher import ConfirmingPublisher
from app.contracts import Envelope, PaymentApproved
from app.gateway import SqlCommandStore
from app.persistence import append_events
from tests.integration.gateway.commands import creation

RETRY_DELAYS_MS = (50, 100)
AMOUNT = Decimal("12.34")


@dataclass(frozen=True)
class Outbox:
    """One module's outbox table, the exchange its relay publishes to, and how that module writes it."""

    table: Table
    exchange: str
    append: Callable[[int], list[Envelope]]
    engine: Engine

    def unpublished(self) -> int:
        query = select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


@pytest.fixture(params=["gateway", "payments"])
def outbox(request: pytest.FixtureRequest, engine: Engine, autocommit_engine: Engine) -> Outbox:
    """The gateway's commands table (each command carries its event) or the payments outbox."""
    schema: str = request.param
    if schema == "gateway":
        store = SqlCommandStore(autocommit_engine)

        def accept(n: int) -> list[Envelope]:
            commands = [creation() for _ in range(n)]
            for command, event in commands:
                store.record(command, event)
            return [event for _, event in commands]

        return Outbox(gateway.OUTBOX, OUTBOX_EXCHANGES[schema], accept, engine)

    def announce(n: int) -> list[Envelope]:
        results = [
            PaymentApproved(order_id=uuid.uuid4(), payment_id=uuid.uuid4(), amount=AMOUNT) for _ in range(n)
        ]
        envelopes = [result.to_envelope(f"corr-{i}") for i, result in enumerate(results)]
        with engine.begin() as conn:
            append_events(conn, payments.OUTBOX, envelopes)
        return envelopes

    return Outbox(payments.OUTBOX, OUTBOX_EXCHANGES[schema], announce, engine)


class Observer:
    """A queue bound to everything published on one exchange; its deliveries are kept in `received`."""

    SENTINEL = "observer.sentinel"

    def __init__(self, connection: Connection, exchange: str) -> None:
        self.exchange = events_exchange(exchange)  # as the topology declares it
        self._connection = connection
        self._channel = connection.channel()
        queue = Queue(f"observer-{uuid.uuid4().hex[:8]}", self.exchange, routing_key="#", exclusive=True)
        self.received: list[Any] = []
        self._consumer = Consumer(self._channel, [queue], on_message=self._keep)
        self._consumer.consume()

    def _keep(self, message: Any) -> None:
        message.ack()
        self.received.append(message)

    def take(self, count: int, within_s: float = 10) -> list[Any]:
        """What arrived so far, once at least `count` messages did (or `within_s` passed)."""
        deadline = time.monotonic() + within_s
        while len(self.received) < count and (left := deadline - time.monotonic()) > 0:
            try:
                self._connection.drain_events(timeout=left)
            except TimeoutError:
                break
        return list(self.received)

    def everything(self, within_s: float = 10) -> list[Any]:
        """Every message published (and confirmed) before this call: a sentinel is sent after them and
        the queue is read up to it."""
        sentinel = str(uuid.uuid4())
        with connect(self._connection.as_uri(include_password=True)) as connection:
            publisher = ConfirmingPublisher(connection)
            publisher.publish(
                b"{}",
                exchange=self.exchange.name,
                routing_key=self.SENTINEL,
                headers={},
                message_id=sentinel,
                correlation_id=None,
            )
            publisher.confirm()
        deadline = time.monotonic() + within_s
        while not self._arrived(sentinel) and (left := deadline - time.monotonic()) > 0:
            self._connection.drain_events(timeout=left)
        assert self._arrived(sentinel), "the observer's sentinel never came back"
        return [m for m in self.received if m.delivery_info["routing_key"] != self.SENTINEL]

    def _arrived(self, sentinel: str) -> bool:
        return any(m.properties.get("message_id") == sentinel for m in self.received)

    def close(self) -> None:
        self._consumer.cancel()
        self._channel.close()


@pytest.fixture
def observe(broker_url: str) -> Iterator[Callable[[str], Observer]]:
    """Observers of exchanges in this test's vhost (each declares its exchange as the topology does)."""
    connection = connect(broker_url)
    observers: list[Observer] = []

    def start(exchange: str) -> Observer:
        observers.append(Observer(connection, exchange))
        return observers[-1]

    yield start
    for observer in observers:
        observer.close()
    connection.release()
