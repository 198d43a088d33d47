"""Messages a worker must never choke on (huge, not JSON, unknown type) are dead-lettered and work goes on."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from app.bus import QueueWorker
from app.contracts import Envelope, OrderCreated
from app.contracts.envelope import MAX_MESSAGE_BYTES


class RecordingHandler:
    def __init__(self) -> None:
        self.seen: list[Envelope] = []

    def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)


def valid_message() -> str:
    return OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("5.00")).to_envelope("corr-ok").to_json()


def huge_message() -> str:
    """A well-formed envelope of a known type, padded past the size limit."""
    envelope = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("5.00")).to_envelope(
        "x" * (MAX_MESSAGE_BYTES + 1)
    )
    return envelope.to_json()


def unknown_type_message() -> str:
    return valid_message().replace('"order.created"', '"order.teleported"')


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (huge_message, "exceeds the"),
        (lambda: b"\x00\xff binary, not JSON", "not JSON"),
        (unknown_type_message, "UnknownEventType"),
        (lambda: b"[" * 20_000 + b"]" * 20_000, "nests JSON too deeply"),
    ],
)
def test_a_hostile_message_is_dead_lettered_and_the_next_one_is_still_handled(
    broker: Any, body: Any, reason: str
) -> None:
    handler = RecordingHandler()
    worker = QueueWorker(
        broker.url,
        broker.queue,
        {"order.created": handler},
        concurrency=2,
        max_attempts=3,
        retry_delays_ms=broker.delays,
    )
    broker.publish(body())
    broker.publish(valid_message())

    settled = worker.drain(timeout=0.05)

    [dead] = broker.dead_letters()
    assert settled == 2
    assert reason in dead.headers["x-error"]
    assert dead.headers["x-attempts"] == 1
    assert [envelope.correlation_id for envelope in handler.seen] == ["corr-ok"]
