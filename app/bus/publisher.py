"""Publishing raw JSON bodies as persistent messages, returning once the broker confirmed them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kombu.messaging import Producer

JSON = "application/json"
PERSISTENT = 2


class KombuPublisher:
    """Publishes on one channel; never serializes (bodies are already JSON text), never pickles."""

    def __init__(self, channel: Any) -> None:
        self._producer = Producer(channel)

    def publish(
        self,
        body: str | bytes,
        *,
        exchange: str,
        routing_key: str,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Send one persistent message; raises if the broker refuses or the link fails (no silent loss)."""
        properties = {"message_id": message_id} if message_id else {}
        if correlation_id:
            properties["correlation_id"] = correlation_id
        self._producer.publish(
            body.encode() if isinstance(body, str) else body,
            exchange=exchange,
            routing_key=routing_key,
            headers=dict(headers or {}),
            delivery_mode=PERSISTENT,
            content_type=JSON,
            content_encoding="utf-8",
            retry=False,
            **properties,
        )


def body_bytes(message: Any) -> bytes:
    """The raw body of a received message (py-amqp hands over text when an encoding was declared)."""
    body = message.body
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)
