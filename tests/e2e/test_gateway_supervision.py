"""A gunicorn worker never outlives its master: killed with -9 under load, its workers exit promptly."""

from __future__ import annotations

import http.client
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.figures import report
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CLIENTS = 8
# gunicorn's own check notices a changed parent and then drains for up to graceful_timeout (20 s):
# measured 21 s under this load before workers asked the kernel to kill them with their master.
PROMPTLY_S = 3.0
ORDER = json.dumps({"userId": "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f", "total": 5}).encode()


@pytest.fixture
def gateway_only() -> Iterator[RunningSystem]:
    with (
        fresh_database("payflow_e2e") as db,
        fresh_vhost("payflow-e2e") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        running = RunningSystem(system_env(db, vhost), Path(logs))
        running.setup()
        running.start("gateway")
        wait_until(running._ready, timeout=60, what="the gateway to report ready")
        yield running


def keep_posting(address: str, stop: threading.Event, answered: list[int]) -> None:
    """Post orders on one keep-alive connection until `stop`; reconnect whenever the link breaks."""
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    while not stop.is_set():
        try:
            connection.request("POST", "/api/orders", ORDER, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            answered.append(response.status)
        except (OSError, http.client.HTTPException):  # the worker died mid-answer
            connection.close()
            stop.wait(0.05)


def exited(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_workers_exit_promptly_when_the_master_is_killed_under_load(gateway_only: RunningSystem) -> None:
    master = gateway_only.processes["gateway"]
    workers = [int(pid) for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]
    stop, answered = threading.Event(), list[int]()
    clients = [
        threading.Thread(target=keep_posting, args=(gateway_only.env["PAYFLOW_HTTP_BIND"], stop, answered))
        for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        wait_until(lambda: len(answered) >= 50, timeout=30, what="the clients to be served")
        killed_at = time.monotonic()
        os.kill(master.pid, signal.SIGKILL)
        master.wait(10)
        gateway_only.processes.pop("gateway")
        wait_until(lambda: all(exited(pid) for pid in workers), timeout=PROMPTLY_S, what="orphans to exit")
        gone_s = time.monotonic() - killed_at
        report(f"gateway supervision: workers exited {gone_s:.2f} s after kill -9 of their master")
    finally:
        stop.set()
        for client in clients:
            client.join(10)
        for pid in workers:
            if not exited(pid):
                os.kill(pid, signal.SIGKILL)
