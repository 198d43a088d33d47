"""Fault 2: RabbitMQ restarted while orders keep coming in."""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import LoadGenerator
from tests.faults.outages import broker_stopped
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
MAX_ORDERS = 600
STEP = 50  # orders posted before, during and after the outage, at least


def test_restarting_rabbitmq_under_load_loses_no_order_and_charges_none_twice(launch: Launch) -> None:
    stack = launch()
    load = LoadGenerator(stack.system.api, MAX_ORDERS, rate=15).start()
    load.wait_sent(STEP)

    stopped, sent_before = time.monotonic(), load.sent
    with broker_stopped(stack.services.rabbitmq):
        load.wait_sent(load.sent + STEP)
    back, sent_during = time.monotonic(), load.sent - sent_before
    load.wait_sent(load.sent + STEP)
    result = load.finish()

    assert result.statuses["202"] + result.statuses["503"] == load.sent, result.statuses  # 503: see verify
    verify(
        stack,
        "rabbitmq-restart-under-load",
        result,
        since=back,
        outage_s=f"{back - stopped:.1f}",
        posted_during_outage=sent_during,
    )
