"""Fault 1: kill -9 a worker of every role mid-flight, several times, and restart it."""

from __future__ import annotations

import signal

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import LoadGenerator
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
ROUNDS = 3
ORDERS = 300


def test_workers_killed_mid_flight_lose_nothing_and_charge_nothing_twice(launch: Launch) -> None:
    stack = launch()
    load = LoadGenerator(stack.system.api, ORDERS, rate=30).start()

    for round_number in range(1, ROUNDS + 1):
        load.wait_sent(round_number * ORDERS // (ROUNDS + 1))
        for role in ("orders", "payments"):
            assert stack.system.stop(role, signal.SIGKILL) == -signal.SIGKILL
            stack.start_worker(role)
        stack.kill_gateway_worker()
    result = load.join()

    dropped = {"error:RemoteDisconnected", "error:ConnectionResetError"}  # requests the killed worker had
    assert set(result.statuses) <= {"202", "503", *dropped}, result.statuses  # 503: see verify
    verify(stack, "kill-9-workers", result, kills=ROUNDS * 3, post_errors=len(result.errors))
