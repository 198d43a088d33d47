"""An in-memory broker per test: a uniquely named queue family, publishing into it and reading it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kombu.transport import memory

from app.bus import connect
from tests.unit.bus.memory_broker import MemoryBroker


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryBroker]:
    # RabbitMQ gives unacked deliveries back when a connection closes; the memory transport drops them.
    monkeypatch.setattr(memory.Channel, "do_restore", True)
    with connect(MemoryBroker.url) as connection:
        yield MemoryBroker(connection, f"test-{uuid.uuid4().hex[:12]}.inbox")
