"""Fault 4: RabbitMQ down while orders are posted: every 202 still completes once the broker is back."""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import LoadGenerator
from tests.faults.outages import broker_stopped
from tests.faults.settle import take_snapshot
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
ORDERS = 200


def test_orders_posted_while_rabbitmq_is_down_are_accepted_and_complete_after_it_returns(
    launch: Launch,
) -> None:
    stack = launch()

    with broker_stopped(stack.services.rabbitmq):
        result = LoadGenerator(stack.system.api, ORDERS, rate=60).run()
        while_down = take_snapshot(stack.engine)
    back = time.monotonic()

    assert result.statuses["202"] + result.statuses["503"] == ORDERS, result.statuses  # 503: see verify
    assert len(while_down.accepted) == while_down.unpublished >= len(result.accepted) > 0
    assert not while_down.orders  # nothing could reach a worker: every 202 waits in the gateway's outbox
    verify(stack, "rabbitmq-down-while-posting", result, since=back)
