"""A test's own queue family on kombu's memory transport, events to publish into it, fake batch handlers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kombu.connection import Connection

from app.bus import BatchConsumer, Batching, RetryPolicy, Topology
from app.bus.batches import Handlers
from app.bus.entities import dead_letter_queue
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import retry_queue_name
from app.contracts import Envelope, Incoming, OrderCancelled, OrderCreated

DELAYS = (10, 20)
MAX_ATTEMPTS = 3
# What RabbitMQ adds when a retry queue's TTL sends a message back; a copy must not carry it on.
BROKER_BOOKKEEPING = {
    "x-death": [{"queue": "retry", "reason": "expired", "count": 1}],
    "x-first-death-exchange": "",
    "x-first-death-queue": "retry",
    "x-first-death-reason": "expired",
}


def order_created(correlation_id: str = "corr-1") -> Envelope:
    return OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("12.50")).to_envelope(correlation_id)


def order_cancelled(correlation_id: str = "corr-1") -> Envelope:
    return OrderCancelled(uuid.uuid4()).to_envelope(correlation_id)


class MemoryBroker:
    """kombu's memory transport (process-global state) seen through one queue family of a test's own.

    Like RabbitMQ, and unlike the memory transport by default, messages delivered but never acked come
    back to their queue when the consumer's connection closes (the fixture turns that on), so a message
    that left the queue was acked, not dropped.
    """

    url = "memory://"
    delays = DELAYS

    def __init__(self, connection: Connection, queue: str) -> None:
        self.connection = connection
        self.queue = queue
        Topology({}, DELAYS).declare(connection, [queue])
        self._publisher = ConfirmingPublisher(connection)

    def publish(
        self,
        body: str | bytes,
        *,
        exchange: str = "",
        routing_key: str | None = None,
        message_id: str | None = "m-1",
        correlation_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        """Straight into the test's queue through the default exchange, unless told otherwise."""
        self._publisher.publish(
            body,
            exchange=exchange,
            routing_key=self.queue if routing_key is None else routing_key,
            headers=headers or {},
            message_id=message_id,
            correlation_id=correlation_id,
        )
        self._publisher.confirm()

    def publish_all(self, envelopes: Iterable[Envelope]) -> None:
        for envelope in envelopes:
            self.publish(envelope.to_json(), message_id=str(envelope.id))

    def take(self, queue_name: str) -> list[Any]:
        """Every message waiting in `queue_name`, removed."""
        taken = []
        channel = self.connection.default_channel
        while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
            taken.append(message)
        return taken

    def waiting(self) -> list[Any]:
        return self.take(self.queue)

    def dead_letters(self) -> list[Any]:
        return self.take(dead_letter_queue(self.queue).name)

    def retried(self, delay: int) -> list[Any]:
        return self.take(retry_queue_name(self.queue, delay))

    def all_retried(self) -> list[Any]:
        return [message for delay in DELAYS for message in self.retried(delay)]

    def expire_retries(self) -> int:
        """Do what RabbitMQ's TTL does (the memory transport has none): send retried messages back."""
        moved = 0
        for message in self.all_retried():
            self.publish(
                message.body,
                message_id=message.properties.get("message_id"),
                correlation_id=message.properties.get("correlation_id"),
                headers={**message.headers, **BROKER_BOOKKEEPING},
            )
            moved += 1
        return moved

    def consumer(
        self,
        handlers: Handlers,
        *,
        size: int = 10,
        wait_s: float = 0.01,
        parallel: int = 1,
        in_flight: int | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> BatchConsumer:
        """A consumer of the test's queue (bound to nothing: tests publish through the default exchange)."""
        return BatchConsumer(
            self.url,
            Topology({}, DELAYS),
            handlers,
            Batching(size, wait_s, parallel, in_flight),
            RetryPolicy(self.queue, max_attempts, DELAYS),
        )

    def run_attempts(self, consumer: BatchConsumer, rounds: int) -> None:
        """Deliver, then let retried messages come back, `rounds` times."""
        for _ in range(rounds):
            consumer.drain(idle_s=0.05)
            self.expire_retries()


class FakeBatchHandler:
    """Applies a batch in one pretend transaction: `applied` keeps only the events of calls that returned.

    It raises `error` on every call while one is set, raises `PoisonError` for any batch holding an event
    id in `poison`, and returns the ids in `waiting` as waiting for an earlier event (not applied).
    """

    def __init__(
        self,
        *,
        error: Exception | None = None,
        poison: Iterable[uuid.UUID] = (),
        waiting: Iterable[uuid.UUID] = (),
    ) -> None:
        self.error = error
        self.poison = set(poison)
        self.waiting = set(waiting)
        self.calls: list[list[Incoming[Any]]] = []
        self.applied: list[Incoming[Any]] = []
        self._lock = threading.Lock()

    def __call__(self, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
        with self._lock:
            self.calls.append(list(batch))
        if self.error is not None:
            raise self.error
        if poisoned := [message.id for message in batch if message.id in self.poison]:
            raise PoisonError(f"cannot apply {poisoned[0]}")
        kept = [message for message in batch if message.id not in self.waiting]
        with self._lock:
            self.applied.extend(kept)
        return frozenset(message.id for message in batch if message.id in self.waiting)

    @property
    def applied_ids(self) -> list[uuid.UUID]:
        return [message.id for message in self.applied]

    @property
    def batch_sizes(self) -> list[int]:
        return [len(batch) for batch in self.calls]


class PoisonError(Exception):
    """A handler bug that only one message of a batch triggers."""
