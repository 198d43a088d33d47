"""Fault 3: PostgreSQL stopped for several seconds under load, then started again."""

from __future__ import annotations

import threading
import time

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import USER_ID, LoadGenerator
from tests.faults.outages import database_stopped
from tests.faults.verdict import verify
from tests.support.http import Api

pytestmark = pytest.mark.faults
MAX_ORDERS = 600
STEP = 50
DOWN_S = 5.0
FAST_S = 3.0  # a refusal must come quicker than this (the connect timeout is 2 s)


def post_timed(api: Api) -> tuple[int, str | None, float]:
    began = time.monotonic()
    reply = api.post("/orders", {"userId": USER_ID, "total": 10.5})
    return reply.status, reply.header("Retry-After"), time.monotonic() - began


def test_while_postgresql_is_down_posts_get_a_fast_503_and_everything_accepted_settles(
    launch: Launch,
) -> None:
    stack = launch()
    load = LoadGenerator(stack.system.api, MAX_ORDERS, rate=25).start()
    load.wait_sent(STEP)

    stopped = time.monotonic()
    with database_stopped(stack.services.postgres):
        probes = [post_timed(stack.system.api) for _ in range(3)]
        threading.Event().wait(DOWN_S)  # stay down a while: the outage itself is what is tested
    back = time.monotonic()
    load.wait_sent(load.sent + STEP)
    result = load.finish()

    assert all(status == 503 and retry and seconds < FAST_S for status, retry, seconds in probes), probes
    assert set(result.statuses) == {"202", "503"}, result.statuses
    assert all(reply.header("Retry-After") for reply in result.refusals), result.refusals[:3]
    assert all("database" in reply.body["message"].lower() for reply in result.refusals), result.refusals[:3]
    assert max(result.refusal_seconds) < FAST_S, max(result.refusal_seconds)
    verify(
        stack,
        "postgresql-down-under-load",
        result,
        since=back,
        outage_s=f"{back - stopped:.1f}",
        refused_503=result.statuses["503"],
        slowest_refusal_s=f"{max(result.refusal_seconds):.2f}",
    )
