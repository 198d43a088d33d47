"""ConfirmingPublisher: messages go out without waiting, and `confirm` waits once for the broker's acks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from app.bus.publisher import ConfirmingPublisher, PublishNotConfirmed
from tests.unit.bus.memory_broker import MemoryBroker

Confirm = Callable[[int, bool], None]


class FakeAmqpTransport:
    driver_type = "amqp"


class FakeConfirmingChannel:
    """Records publishes; the broker's answers are queued by the test and arrive on drain_events."""

    def __init__(self) -> None:
        self.events: dict[str, set[Confirm]] = {"basic_ack": set(), "basic_nack": set()}
        self.confirm_selected = False
        self.published: list[tuple[dict[str, Any], str, str]] = []

    def confirm_select(self) -> None:
        self.confirm_selected = True

    def prepare_message(self, body: bytes, *options: Any) -> dict[str, Any]:
        """kombu passes: priority, content type, content encoding, headers, properties."""
        _priority, content_type, content_encoding, headers, properties = options
        return {
            "body": body,
            "content_type": content_type,
            "content_encoding": content_encoding,
            "headers": headers,
            "properties": properties,
        }

    def basic_publish(self, message: dict[str, Any], *, exchange: str, routing_key: str, **_: Any) -> None:
        self.published.append((message, exchange, routing_key))


class FakeAmqpConnection:
    """A connection to a broker that confirms: one queued answer is delivered per drain_events."""

    transport = FakeAmqpTransport()

    def __init__(self) -> None:
        self.opened = FakeConfirmingChannel()
        self.answers: list[tuple[str, int, bool]] = []
        self.drains = 0

    def channel(self) -> FakeConfirmingChannel:
        return self.opened

    def drain_events(self, timeout: float) -> None:
        self.drains += 1
        if not self.answers:
            raise TimeoutError
        kind, tag, multiple = self.answers.pop(0)
        for callback in list(self.opened.events[kind]):
            callback(tag, multiple)


def publish(publisher: ConfirmingPublisher, count: int) -> None:
    for number in range(count):
        publisher.publish(
            f'{{"n": {number}}}',
            exchange="gateway.events",
            routing_key="order.created",
            headers={"x-attempts": 1},
            message_id=f"m-{number}",
            correlation_id="c",
        )


def confirming_publisher() -> tuple[FakeAmqpConnection, ConfirmingPublisher]:
    connection = FakeAmqpConnection()
    return connection, ConfirmingPublisher(connection)  # type: ignore[arg-type]


def test_publishing_puts_the_channel_in_confirm_mode_and_sends_without_waiting() -> None:
    connection, publisher = confirming_publisher()

    publish(publisher, 3)

    assert connection.opened.confirm_selected
    assert len(connection.opened.published) == 3
    assert connection.drains == 0


def test_one_multiple_ack_covering_every_message_confirms_them_with_one_wait() -> None:
    connection, publisher = confirming_publisher()
    publish(publisher, 3)
    connection.answers.append(("basic_ack", 3, True))

    publisher.confirm(timeout_s=1)

    assert connection.drains == 1


def test_separate_acks_confirm_once_all_of_them_arrived() -> None:
    connection, publisher = confirming_publisher()
    publish(publisher, 3)
    connection.answers.extend([("basic_ack", 2, False), ("basic_ack", 1, False), ("basic_ack", 3, False)])

    publisher.confirm(timeout_s=1)

    assert connection.drains == 3


def test_a_nacked_message_fails_the_confirm() -> None:
    connection, publisher = confirming_publisher()
    publish(publisher, 3)
    connection.answers.extend([("basic_ack", 1, False), ("basic_nack", 2, False), ("basic_ack", 3, False)])

    with pytest.raises(PublishNotConfirmed, match="nacked"):
        publisher.confirm(timeout_s=1)


def test_messages_the_broker_never_confirms_fail_the_confirm_after_the_timeout() -> None:
    connection, publisher = confirming_publisher()
    publish(publisher, 2)
    connection.answers.append(("basic_ack", 1, False))

    with pytest.raises(PublishNotConfirmed, match="1 message"):
        publisher.confirm(timeout_s=0.05)


def test_a_confirm_waits_only_for_what_was_sent_since_the_last_one() -> None:
    connection, publisher = confirming_publisher()
    publish(publisher, 2)
    connection.answers.append(("basic_ack", 2, True))
    publisher.confirm(timeout_s=1)
    publish(publisher, 1)
    connection.answers.append(("basic_ack", 3, False))

    publisher.confirm(timeout_s=1)

    assert connection.drains == 2


def test_messages_are_persistent_json_with_their_ids_and_their_body_as_given() -> None:
    connection, publisher = confirming_publisher()

    publish(publisher, 1)

    message, exchange, routing_key = connection.opened.published[0]
    assert (exchange, routing_key) == ("gateway.events", "order.created")
    assert (message["content_type"], message["content_encoding"]) == ("application/json", "utf-8")
    assert message["properties"] == {"delivery_mode": 2, "message_id": "m-0", "correlation_id": "c"}
    assert message["headers"] == {"x-attempts": 1}
    assert message["body"] == b'{"n": 0}'


def test_on_the_memory_transport_messages_arrive_and_confirm_returns_at_once(broker: MemoryBroker) -> None:
    publisher = ConfirmingPublisher(broker.connection)
    for number in range(3):
        publisher.publish(
            json.dumps({"n": number}),
            exchange="",
            routing_key=broker.queue,
            headers={"x-attempts": 2},
            message_id=f"m-{number}",
            correlation_id=None,
        )

    publisher.confirm(timeout_s=0)

    arrived = broker.waiting()
    assert [json.loads(message.body) for message in arrived] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [message.properties["message_id"] for message in arrived] == ["m-0", "m-1", "m-2"]
    assert "correlation_id" not in arrived[0].properties
    assert arrived[0].properties["delivery_mode"] == 2
    assert arrived[0].headers == {"x-attempts": 2}
    assert arrived[0].content_type == "application/json"
