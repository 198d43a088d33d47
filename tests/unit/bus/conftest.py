"""An in-memory broker per test: a uniquely named queue family, publishing into it and reading it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu.connection import Connection

from app.bus.broker import connect
from app.bus.publisher import KombuPublisher
from app.bus.topology import dead_letter_queue, declare_queue, retry_queue

DELAYS = (10, 20)


class MemoryBroker:
    """kombu's memory transport (process-global state), seen through one queue family of a test's own."""

    url = "memory://"
    delays = DELAYS

    def __init__(self, connection: Connection, queue: str) -> None:
        self.connection = connection
        self.queue = queue
        declare_queue(connection, queue, DELAYS)
        self._publisher = KombuPublisher(connection.default_channel)

    def publish(self, body: str | bytes, **headers: Any) -> None:
        """Straight into the test's queue through the default exchange."""
        self._publisher.publish(body, exchange="", routing_key=self.queue, headers=headers, message_id="m-1")

    def take(self, queue_name: str) -> list[Any]:
        """Every message waiting in `queue_name`, removed."""
        taken = []
        channel = self.connection.default_channel
        while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
            taken.append(message)
        return taken

    def dead_letters(self) -> list[Any]:
        return self.take(dead_letter_queue(self.queue).name)

    def expire_retries(self) -> int:
        """Do what RabbitMQ's TTL does (the memory transport has none): move retried messages back."""
        moved = 0
        for delay in DELAYS:
            for message in self.take(retry_queue(self.queue, delay).name):
                self._publisher.publish(
                    message.body, exchange="", routing_key=self.queue, headers=message.headers
                )
                moved += 1
        return moved

    def retried(self, delay: int) -> list[Any]:
        return self.take(retry_queue(self.queue, delay).name)


@pytest.fixture
def broker() -> Iterator[MemoryBroker]:
    with connect(MemoryBroker.url) as connection:
        yield MemoryBroker(connection, f"test-{uuid.uuid4().hex[:12]}.inbox")
