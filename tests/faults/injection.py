"""Talking to the broker behind the system's back: raw publishes with kombu, queue counts, dead letters."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, text

from app.bootstrap import OUTBOXES, ROLES
from app.bus import OUTBOX_EXCHANGES, DeadLetter, connect, inbox_name, list_dead_letters
from app.bus.publisher import ConfirmingPublisher
from tests.support.services import BrokerNode


@dataclass(frozen=True)
class RawMessage:
    """One message as it goes on the wire: body bytes, where it is sent, and its message id."""

    body: bytes
    exchange: str
    routing_key: str
    message_id: str

    @classmethod
    def to_queue(cls, queue: str, body: bytes | str, message_id: str | None = None) -> RawMessage:
        """Straight into one queue through the default exchange."""
        raw = body.encode() if isinstance(body, str) else body
        return cls(raw, "", queue, message_id or str(uuid.uuid4()))


def outbox_copies(engine: Engine, schema: str, event_types: Iterable[str]) -> list[RawMessage]:
    """Exact copies (same body, same event id) of the schema's outbox events of the given types, sent
    where the relay sends them: the schema's exchange, routed by event type."""
    table = OUTBOXES[schema]
    columns = "event_id, event_type, body"
    query = text(f"SELECT {columns} FROM {schema}.{table.name} WHERE event_type = ANY(:types)")
    with engine.connect() as conn:
        rows = conn.execute(query, {"types": list(event_types)}).all()
    exchange = OUTBOX_EXCHANGES[schema]
    return [
        RawMessage(body.encode(), exchange, event_type, str(event_id)) for event_id, event_type, body in rows
    ]


def publish(broker_url: str, messages: Iterable[RawMessage]) -> int:
    """Publish each as a persistent JSON message, waiting for the broker's confirm; how many were sent."""
    sent = 0
    with connect(broker_url) as connection:
        publisher = ConfirmingPublisher(connection)
        for message in messages:
            publisher.publish(
                message.body,
                exchange=message.exchange,
                routing_key=message.routing_key,
                headers={},
                message_id=message.message_id,
                correlation_id=None,
            )
            sent += 1
        publisher.confirm()
    return sent


def queue_messages(broker: BrokerNode, vhost: str) -> dict[str, int]:
    """Messages per queue of the vhost, ready and unacknowledged together (so in-flight work counts)."""
    listing = broker.rabbitmqctl("list_queues", "-p", vhost, "name", "messages", "--formatter", "json")
    return {row["name"]: int(row["messages"]) for row in json.loads(listing or "[]")}


def busy_queues(broker: BrokerNode, vhost: str) -> dict[str, int]:
    """Queues other than dead-letter queues that still hold messages; empty when the system is idle."""
    counts = queue_messages(broker, vhost)
    return {name: n for name, n in counts.items() if n and not name.endswith(".dead-letters")}


def dead_letters(broker_url: str) -> dict[str, list[DeadLetter]]:
    """Every dead-lettered message of each role's queue, left in place."""
    return {queue: list_dead_letters(broker_url, queue) for queue in map(inbox_name, ROLES)}


def dead_letter_ids(letters: dict[str, list[DeadLetter]]) -> Counter[tuple[str, str | None]]:
    """(queue, message id) of each dead letter, counted, to compare with what a test injected."""
    return Counter((queue, letter.message_id) for queue, found in letters.items() for letter in found)
