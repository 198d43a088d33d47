"""The workers run below the gateway's CPU priority (PAYFLOW_WORKER_NICE), every one of their threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.system import RunningSystem
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SEED_USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


def niceness_of_threads(pid: int) -> set[int]:
    """The niceness of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat)."""
    found = set()
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        fields = stat.read_text().rpartition(")")[2].split()  # after the command name, which may hold spaces
        found.add(int(fields[16]))
    return found


def test_every_worker_thread_runs_at_the_configured_niceness_and_the_gateway_at_the_default(
    system: RunningSystem,
) -> None:
    response = system.api.post("/orders", {"userId": SEED_USER, "total": 12.01})
    order_id = response.body["orderId"]
    wait_until(
        lambda: system.api.get(f"/orders/{order_id}").body.get("status") == "PAID",
        timeout=30,
        what="the order to be paid (every worker thread started)",
    )

    found = {name: niceness_of_threads(process.pid) for name, process in system.processes.items()}

    assert found == {"gateway": {0}, "orders": {10}, "payments": {10}}
