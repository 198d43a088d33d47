"""BatchPublisher: a batch counts as published only once the broker acked every message of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.bus.confirms import BatchPublisher, PublishNotConfirmed

Confirm = Callable[[int, bool], None]


class FakeTransport:
    driver_type = "amqp"


class FakeConfirmingChannel:
    """Records publishes; the broker's answers are queued by the test and arrive on drain_events."""

    def __init__(self) -> None:
        self.events: dict[str, set[Confirm]] = {"basic_ack": set(), "basic_nack": set()}
        self.confirm_selected = False
        self.published: list[tuple[Any, str, str]] = []

    def confirm_select(self) -> None:
        self.confirm_selected = True

    def prepare_message(self, body: bytes, **options: Any) -> dict[str, Any]:
        return {"body": body, **options}

    def basic_publish(self, message: Any, *, exchange: str, routing_key: str) -> None:
        self.published.append((message, exchange, routing_key))


class FakeConnection:
    """Delivers one queued broker answer per drain_events; with none left it times out."""

    transport = FakeTransport()

    def __init__(self) -> None:
        self.default_channel = FakeConfirmingChannel()
        self.answers: list[tuple[str, int, bool]] = []
        self.drains = 0

    def drain_events(self, timeout: float) -> None:
        self.drains += 1
        if not self.answers:
            raise TimeoutError
        kind, tag, multiple = self.answers.pop(0)
        for callback in list(self.default_channel.events[kind]):
            callback(tag, multiple)


def publish(publisher: BatchPublisher, count: int) -> None:
    for number in range(count):
        publisher.publish(
            f'{{"n": {number}}}',
            exchange="gateway.events",
            routing_key="order.created",
            headers={"correlation_id": "c"},
            message_id=f"m-{number}",
            correlation_id="c",
        )


def test_the_batch_is_confirmed_by_one_multiple_ack_covering_it() -> None:
    connection = FakeConnection()
    publisher = BatchPublisher(connection)  # type: ignore[arg-type]
    publish(publisher, 3)
    connection.answers.append(("basic_ack", 3, True))

    publisher.confirm(timeout_s=1)

    assert connection.default_channel.confirm_selected
    assert len(connection.default_channel.published) == 3
    assert connection.drains == 1


def test_separate_acks_confirm_the_batch_once_all_arrived() -> None:
    connection = FakeConnection()
    publisher = BatchPublisher(connection)  # type: ignore[arg-type]
    publish(publisher, 3)
    connection.answers.extend([("basic_ack", 2, False), ("basic_ack", 1, False), ("basic_ack", 3, False)])

    publisher.confirm(timeout_s=1)

    assert connection.drains == 3


def test_a_nacked_message_fails_the_whole_batch() -> None:
    connection = FakeConnection()
    publisher = BatchPublisher(connection)  # type: ignore[arg-type]
    publish(publisher, 3)
    connection.answers.extend([("basic_ack", 1, False), ("basic_nack", 2, False), ("basic_ack", 3, False)])

    with pytest.raises(PublishNotConfirmed, match="nacked"):
        publisher.confirm(timeout_s=1)


def test_a_batch_the_broker_never_confirms_fails_after_the_timeout() -> None:
    connection = FakeConnection()
    publisher = BatchPublisher(connection)  # type: ignore[arg-type]
    publish(publisher, 2)
    connection.answers.append(("basic_ack", 1, False))

    with pytest.raises(PublishNotConfirmed, match="1 message"):
        publisher.confirm(timeout_s=0.05)


def test_messages_are_persistent_json_with_their_ids() -> None:
    connection = FakeConnection()
    publisher = BatchPublisher(connection)  # type: ignore[arg-type]

    publish(publisher, 1)

    message, exchange, routing_key = connection.default_channel.published[0]
    assert (exchange, routing_key) == ("gateway.events", "order.created")
    assert message["content_type"] == "application/json"
    assert message["properties"] == {"delivery_mode": 2, "message_id": "m-0", "correlation_id": "c"}
    assert message["body"] == b'{"n": 0}'
