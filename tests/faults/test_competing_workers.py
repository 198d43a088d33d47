"""Fault 8: two workers of each role and two relays per outbox at once (competing consumers)."""

from __future__ import annotations

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import LoadGenerator
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
ORDERS = 300
# What a worker logs at debug level for each message it applied (JSON message field).
APPLIED = '"message": "message applied"'


def test_two_workers_per_role_and_two_relays_charge_each_order_exactly_once(launch: Launch) -> None:
    stack = launch(PAYFLOW_LOG_LEVEL="debug")  # one line per applied message, counted below
    for role in ("orders", "payments"):
        stack.start_worker(f"{role}-2", role)  # a payments worker also runs a second payments relay
    assert len(stack.gateway_workers()) == 2  # each gunicorn worker runs its own gateway relay

    result = LoadGenerator(stack.system.api, ORDERS, rate=40).run()

    work = {
        name: stack.system.logs(name).count(APPLIED)
        for name in ("orders", "orders-2", "payments", "payments-2")
    }
    verify(stack, "two-workers-per-role", result, handled=work)
    assert all(work.values()), work  # both consumers of each queue took a share
