"""A replica that hangs (its processes stopped by SIGSTOP, the tests' own cluster): the gateway's reads
answer from the primary within their timeouts instead of waiting for it to come back."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient

from app.persistence.deadlines import MARGIN_S, StatementDeadlines
from tests.integration.gateway.replicas import Replicated, Start
from tests.integration.gateway.test_reads_from_a_replica import new_order
from tests.support.own_postgres import OwnPostgres
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
READ_TIMEOUT_S = CONNECT_TIMEOUT_S = 2
HUNG_FOR_S = 15.0  # far longer than any bound below: an answer within it did not wait for the server
# The statement is cut off, its retry may wait for a connect to time out, then the primary answers.
BOUND_S = READ_TIMEOUT_S + MARGIN_S + StatementDeadlines.CHECK_INTERVAL_S + CONNECT_TIMEOUT_S + 1.5
SETTINGS = {"PAYFLOW_READ_TIMEOUT_MS": str(READ_TIMEOUT_S * 1000), "PAYFLOW_DB_CONNECT_TIMEOUT_S": "2"}


def server_pids(cluster: OwnPostgres) -> list[int]:
    postmaster = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False)
    return [postmaster, *map(int, children.stdout.split())]


@contextlib.contextmanager
def hung(cluster: OwnPostgres) -> Iterator[None]:
    """Every process of the cluster stopped (its kernel still accepts and acknowledges), then resumed."""
    pids = server_pids(cluster)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def answered_while(cluster: OwnPostgres, request: Callable[[], int]) -> tuple[int, float]:
    """The status `request` got while the cluster hung, and how long it took."""

    def timed() -> tuple[int, float]:
        started = time.monotonic()
        return request(), time.monotonic() - started

    with ThreadPoolExecutor(1) as pool, hung(cluster):
        answer = pool.submit(timed)
        wait_until(answer.done, timeout=HUNG_FOR_S, what="the answer while the server hangs", interval=0.1)
    return answer.result()


def warmed(client: FlaskClient, order_id: uuid.UUID) -> None:
    """Pooled connections to both servers, idle: what a request takes when the server hangs."""
    wait_until(lambda: client.get(f"/api/orders/{order_id}").status_code == 200, timeout=30, what="replay")


def test_a_get_answers_from_the_primary_within_its_timeouts_while_the_replica_hangs(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway(**SETTINGS)
    order_id = new_order(replicated)
    warmed(client, order_id)

    get = lambda: client.get(f"/api/orders/{order_id}").status_code  # noqa: E731
    status, took = answered_while(replicated.replica, get)

    assert status == 200
    assert took < BOUND_S
