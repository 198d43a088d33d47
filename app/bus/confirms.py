"""Publishing a batch of persistent messages, then waiting once for the broker to confirm all of them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, cast

from kombu.connection import Connection

from app.bus.publisher import JSON, PERSISTENT

CONFIRM_TIMEOUT_S = 10.0


class PublishNotConfirmed(Exception):
    """The broker nacked a message of the batch, or did not confirm it in time: the batch must be retried."""


class BatchPublisher:
    """Owns one channel in confirm mode; delivery tags count the messages published on it from 1.

    Built on a connection opened with `connect(url, confirm_each=False)`, so `basic_publish` does not
    wait per message. The memory transport has no confirms: there every batch counts as confirmed.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._channel = cast(Any, connection.default_channel)  # py-amqp's Channel: untyped
        self._confirming = connection.transport.driver_type == "amqp"
        self._sent = 0
        self._unconfirmed: set[int] = set()
        self._nacked = False
        if self._confirming:
            self._channel.events["basic_ack"].add(self._on_ack)
            self._channel.events["basic_nack"].add(self._on_nack)
            self._channel.confirm_select()

    def publish(
        self,
        body: str,
        *,
        exchange: str,
        routing_key: str,
        headers: Mapping[str, Any],
        message_id: str,
        correlation_id: str,
    ) -> None:
        """Send one persistent JSON message without waiting; `confirm` waits for the whole batch."""
        properties = {"delivery_mode": PERSISTENT, "message_id": message_id, "correlation_id": correlation_id}
        message = self._channel.prepare_message(
            body.encode(),
            content_type=JSON,
            content_encoding="utf-8",
            headers=dict(headers),
            properties=properties,
        )
        self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
        self._sent += 1
        if self._confirming:
            self._unconfirmed.add(self._sent)

    def confirm(self, timeout_s: float = CONFIRM_TIMEOUT_S) -> None:
        """Return once the broker acked every message sent so far; PublishNotConfirmed otherwise."""
        deadline = time.monotonic() + timeout_s
        while self._unconfirmed and not self._nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = len(self._unconfirmed)
                raise PublishNotConfirmed(f"{missing} message(s) not confirmed within {timeout_s} s")
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        if self._nacked:
            raise PublishNotConfirmed("the broker refused (nacked) a message of the batch")

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True
        self._settle(delivery_tag, multiple)

    def _settle(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {tag for tag in self._unconfirmed if tag > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)
