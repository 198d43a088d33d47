"""Under a load of POSTs and GETs, the replica the gateway reads from is stopped and started again."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.faults.load import LoadGenerator
from tests.support.figures import report
from tests.support.http import Api
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.own_replica import caught_up, own_replica
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@dataclass
class Replicated:
    system: RunningSystem
    replica: OwnPostgres


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    """The whole system on a primary of the tests' own, its gateway reading from a replica of it."""
    with (
        own_postgres() as primary,
        own_replica(primary) as replica,
        fresh_database("payflow_e2e_ro", primary.admin_url) as db,
        fresh_vhost("payflow-e2e-ro") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        reads = make_url(db).set(port=replica.port).render_as_string(hide_password=False)
        running = RunningSystem(system_env(db, vhost, PAYFLOW_READ_DATABASE_URL=reads), Path(logs))
        running.setup()
        wait_until(lambda: caught_up(primary, replica), timeout=30, what="the replica to replay the setup")
        running.start_all()
        try:
            yield Replicated(running, replica)
        finally:
            running.stop_all()


class Reader:
    """GETs after every accepted order (the order, a page of orders, the payment stats): their statuses."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()

    def __call__(self, api: Api, order_id: str) -> None:
        for path in (f"/orders/{order_id}", "/orders?limit=10", "/payments/stats"):
            status = api.get(path, timeout=15).status
            with self._lock:
                self.statuses[status] += 1

    def counted(self) -> Counter[int]:
        with self._lock:
            return Counter(self.statuses)

    def server_errors(self) -> int:
        return sum(count for status, count in self.counted().items() if status >= 500)


def readiness(api: Api, seen: list[dict[str, Any]]) -> dict[str, Any]:
    reply = api.get("/health/ready", timeout=10)
    entry: dict[str, Any] = {"ready": reply.status, **reply.body["replica"]}
    seen.append(entry)
    return entry


def test_gets_never_fail_while_the_replica_stops_and_starts_under_load(replicated: Replicated) -> None:
    api, seen, reader = replicated.system.api, [], Reader()
    load = LoadGenerator(api, 2000, threads=6, rate=30.0, after_accept=reader).start()
    load.wait_sent(60)
    wait_until(lambda: readiness(api, seen)["reads"] == "replica", timeout=30, what="reads on the replica")
    # Two seconds of readiness answers under load: the lag each gateway process measured (every second).
    wait_until(lambda: readiness(api, seen) and len(seen) > 20, timeout=30, what="lag samples", interval=0.1)

    before, stopped = reader.counted(), time.monotonic()
    replicated.replica.stop()
    try:
        wait_until(lambda: readiness(api, seen)["reads"] == "primary", timeout=30, what="the fallback")
        fallback_s = time.monotonic() - stopped
        load.wait_sent(load.sent + 60)
    finally:
        replicated.replica.start()
    restarted, during = time.monotonic(), reader.counted() - before
    wait_until(lambda: readiness(api, seen)["reads"] == "replica", timeout=60, what="reads on the replica")
    back_s = time.monotonic() - restarted
    load.wait_sent(load.sent + 60)
    result = load.finish()
    visible = wait_until(
        lambda: api.get("/orders?limit=1").body["meta"]["total"] >= len(result.accepted) and True,
        timeout=60,
        what="every accepted order on the replica",
    )
    missing = [order for order in result.accepted if api.get(f"/orders/{order}").status != 200]

    on_replica = [entry for entry in seen if entry["reads"] == "replica"]
    lag = max((entry["lagSeconds"] or 0.0, entry["lagBytes"] or 0) for entry in on_replica)
    report(
        f"replica under load: {len(result.accepted)} orders; GETs {dict(reader.counted())}, "
        f"{dict(during)} while the replica was down; reads on the primary {fallback_s:.2f} s after the "
        f"stop, back on the replica {back_s:.2f} s after the start; largest lag seen {lag[0]:.3f} s, "
        f"{lag[1]} bytes ({len(seen)} readiness answers)"
    )
    assert reader.server_errors() == 0, reader.statuses
    assert result.statuses == Counter({"202": len(result.accepted)}), result.statuses
    assert {entry["ready"] for entry in seen} == {200}
    assert (visible, missing) == (True, [])
