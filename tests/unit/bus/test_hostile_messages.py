"""Messages a worker must never choke on (huge, not JSON, unknown type) are dead-lettered and work goes on."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from app.contracts import OrderCreated
from app.contracts.envelope import MAX_MESSAGE_BYTES
from tests.unit.bus.memory_broker import FakeBatchHandler, MemoryBroker


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


def bad_payload_message() -> str:
    return valid_message().replace('"total":"5.00"', '"total":"-5"')


def occurred_at(time: str) -> Callable[[], str]:
    """A valid message sent at `time`: one past year 9999 in UTC could be stored but never read back."""
    return lambda: re.sub(r'"occurredAt":"[^"]*"', f'"occurredAt":"{time}"', valid_message())


def correlation_id(text: str) -> Callable[[], str]:
    return lambda: valid_message().replace('"corr-ok"', json.dumps(text))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (huge_message, "exceeds the"),
        (lambda: b"\x00\xff binary, not JSON", "not JSON"),
        (unknown_type_message, "UnknownEventType"),
        (lambda: b"[" * 20_000 + b"]" * 20_000, "nests JSON too deeply"),
        (lambda: b'"just a string"', "not a JSON object"),
        (bad_payload_message, "payload field 'total'"),
        (occurred_at("9999-12-31T23:59:59-14:00"), "field 'occurredAt'"),
        (occurred_at("0001-01-01T00:00:00+14:00"), "field 'occurredAt'"),
        (occurred_at("9999-12-31T12:00:00+00:00"), "field 'occurredAt'"),
        (correlation_id("corr\u0000x"), "field 'correlationId'"),
        (correlation_id("corr\nforged log line"), "field 'correlationId'"),
    ],
    ids=[
        "huge",
        "binary",
        "unknown type",
        "deep",
        "not an object",
        "bad total",
        "after year 9999 in UTC",
        "before year 1 in UTC",
        "within a day of year 10000",
        "NUL in an id",
        "newline in an id",
    ],
)
def test_a_hostile_message_is_dead_lettered_and_the_next_one_is_still_handled(
    broker: MemoryBroker, body: Callable[[], str | bytes], reason: str
) -> None:
    handler = FakeBatchHandler()
    broker.publish(body())
    broker.publish(valid_message())

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [dead] = broker.dead_letters()
    assert settled == 2
    assert reason in dead.headers["x-error"]
    assert dead.headers["x-attempts"] == 1
    assert [message.correlation_id for message in handler.applied] == ["corr-ok"]
    assert broker.waiting() == []
