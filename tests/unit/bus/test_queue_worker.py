"""QueueWorker on the in-memory transport: acks, retries with back-off, and dead letters with reasons."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError

from app.bus import QueueWorker
from app.contracts import Envelope, EventHandler, NotYetApplicable, OrderCreated
from app.logs import current_correlation_id

MAX_ATTEMPTS = 3


class MemoryBroker(Protocol):
    """What the `broker` fixture of this folder's conftest offers."""

    url: str
    queue: str
    delays: tuple[int, int]

    def publish(self, body: str | bytes, **headers: Any) -> None: ...
    def take(self, queue_name: str) -> list[Any]: ...
    def dead_letters(self) -> list[Any]: ...
    def expire_retries(self) -> int: ...
    def retried(self, delay: int) -> list[Any]: ...


def order_created_json(correlation_id: str = "corr-1") -> str:
    event = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("12.50"))
    return event.to_envelope(correlation_id).to_json()


def body_of(message: Any) -> dict[str, Any]:
    return dict(json.loads(message.body))


class FakeHandler:
    """Records what it was given; raises `error` every time when one is set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.seen: list[Envelope] = []
        self.correlation_ids: list[str | None] = []

    def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        self.correlation_ids.append(current_correlation_id())
        if self.error is not None:
            raise self.error


def worker_for(broker: MemoryBroker, handlers: Mapping[str, EventHandler]) -> QueueWorker:
    return QueueWorker(
        broker.url,
        broker.queue,
        handlers,
        concurrency=4,
        max_attempts=MAX_ATTEMPTS,
        retry_delays_ms=broker.delays,
    )


def run_attempts(broker: MemoryBroker, worker: QueueWorker, rounds: int) -> None:
    """Deliver, then let retried messages come back, `rounds` times."""
    for _ in range(rounds):
        worker.drain(timeout=0.05)
        broker.expire_retries()


def test_a_handled_message_is_acked_and_leaves_the_queue(broker: MemoryBroker) -> None:
    handler = FakeHandler()
    worker = worker_for(broker, {"order.created": handler})
    broker.publish(order_created_json())

    settled = worker.drain(timeout=0.05)

    assert settled == 1
    assert len(handler.seen) == 1
    assert broker.take(broker.queue) == []
    assert broker.dead_letters() == []


def test_the_handler_runs_inside_the_message_log_context(broker: MemoryBroker) -> None:
    handler = FakeHandler()
    broker.publish(order_created_json(correlation_id="corr-42"))

    worker_for(broker, {"order.created": handler}).drain(timeout=0.05)

    assert handler.correlation_ids == ["corr-42"]


def test_malformed_json_is_dead_lettered_at_once_with_the_reason(broker: MemoryBroker) -> None:
    handler = FakeHandler()
    broker.publish(b"{not json")

    worker_for(broker, {"order.created": handler}).drain(timeout=0.05)

    [dead] = broker.dead_letters()
    assert dead.body == b"{not json"
    assert dead.headers["x-error"].startswith("ContractError: message is not JSON")
    assert dead.headers["x-attempts"] == 1
    assert dead.headers["x-original-queue"] == broker.queue
    assert handler.seen == []


def test_an_event_type_without_a_handler_is_dead_lettered(broker: MemoryBroker) -> None:
    broker.publish(order_created_json())

    worker_for(broker, {"order.cancelled": FakeHandler()}).drain(timeout=0.05)

    [dead] = broker.dead_letters()
    assert dead.headers["x-error"].startswith("UnknownEventType")


def test_a_handler_bug_is_retried_with_growing_delays_before_dead_lettering(broker: MemoryBroker) -> None:
    handler = FakeHandler(RuntimeError("boom"))
    worker = worker_for(broker, {"order.created": handler})
    broker.publish(order_created_json())

    worker.drain(timeout=0.05)
    [first_retry] = broker.retried(broker.delays[0])
    broker.publish(first_retry.body, **first_retry.headers)
    worker.drain(timeout=0.05)
    [second_retry] = broker.retried(broker.delays[1])

    assert first_retry.headers["x-attempts"] == 1
    assert second_retry.headers["x-attempts"] == 2
    assert body_of(second_retry) == body_of(first_retry)


def test_a_handler_bug_is_dead_lettered_after_max_attempts_with_the_count(broker: MemoryBroker) -> None:
    handler = FakeHandler(RuntimeError("boom"))
    broker.publish(order_created_json())

    run_attempts(broker, worker_for(broker, {"order.created": handler}), rounds=MAX_ATTEMPTS + 1)

    [dead] = broker.dead_letters()
    assert len(handler.seen) == MAX_ATTEMPTS
    assert dead.headers["x-attempts"] == MAX_ATTEMPTS
    assert dead.headers["x-error"] == "RuntimeError: boom"
    assert "x-dead-lettered-at" in dead.headers


def test_a_transient_failure_is_retried_and_never_dead_lettered(broker: MemoryBroker) -> None:
    outage = OperationalError("SELECT 1", {}, Exception("connection refused"))
    handler = FakeHandler(outage)
    worker = worker_for(broker, {"order.created": handler})
    broker.publish(order_created_json())

    run_attempts(broker, worker, rounds=3 * MAX_ATTEMPTS)
    handler.error = None
    run_attempts(broker, worker, rounds=1)

    assert broker.dead_letters() == []
    assert len(handler.seen) == 3 * MAX_ATTEMPTS + 1
    assert broker.take(broker.queue) == []


def test_a_not_yet_applicable_event_gets_twice_the_attempts_then_is_dead_lettered(
    broker: MemoryBroker,
) -> None:
    handler = FakeHandler(NotYetApplicable("order not stored yet"))
    broker.publish(order_created_json())

    run_attempts(broker, worker_for(broker, {"order.created": handler}), rounds=3 * MAX_ATTEMPTS)

    [dead] = broker.dead_letters()
    assert len(handler.seen) == 2 * MAX_ATTEMPTS
    assert dead.headers["x-attempts"] == 2 * MAX_ATTEMPTS
