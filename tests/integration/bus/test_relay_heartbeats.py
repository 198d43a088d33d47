"""An idle relay services heartbeats, so the broker never drops its connection between quiet spells."""

from __future__ import annotations

import logging
import threading

import pytest

from app.bus import broker
from tests.integration.bus.conftest import Outbox
from tests.integration.bus.test_outbox_relay import Observe, relay_for, running

pytestmark = pytest.mark.integration

HEARTBEAT_S = 1  # RabbitMQ closes a connection that stays silent for two heartbeat intervals
IDLE_HEARTBEATS = 5


def test_an_idle_relay_keeps_its_broker_connection_through_many_heartbeat_intervals(
    outbox: Outbox,
    broker_url: str,
    observe: Observe,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(broker, "HEARTBEAT_S", HEARTBEAT_S)
    observer = observe(outbox.exchange)
    relay = relay_for(outbox, broker_url)
    with caplog.at_level(logging.WARNING, logger="app.bus.relay"), running(relay):
        outbox.append(1)
        assert len(observer.take(1)) == 1  # connected and published; from here on the relay is idle
        threading.Event().wait(IDLE_HEARTBEATS * HEARTBEAT_S)  # the quiet spell is what is under test
        outbox.append(1)
        assert len(observer.take(2)) == 2
    assert [r.getMessage() for r in caplog.records] == [], "the relay lost its broker link while idle"
