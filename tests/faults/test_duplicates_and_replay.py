"""Fault 5: the same events published twice, then the whole outbox replayed: nothing happens twice."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from app.bootstrap import OUTBOXES
from app.bus import mark_for_republish
from tests.faults.conftest import Launch
from tests.faults.injection import outbox_copies, publish
from tests.faults.load import LoadGenerator
from tests.faults.settle import wait_settled
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
ORDERS = 200
PAYMENT_RESULTS = ("payment.approved", "payment.declined", "payment.failed")


def database_now(engine: Engine) -> datetime:
    with engine.connect() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
    assert isinstance(now, datetime)
    return now


def applied_events(engine: Engine) -> tuple[int, int]:
    """Events each consumer recorded as applied (its inbox)."""
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM orders.processed_events),"
                " (SELECT count(*) FROM payments.processed_events)"
            )
        ).one()
    return int(counts[0]), int(counts[1])


def send_everything_twice(broker_url: str, engine: Engine) -> int:
    copies = outbox_copies(engine, "gateway", ["order.created"]) + outbox_copies(
        engine, "payments", PAYMENT_RESULTS
    )
    return publish(broker_url, copies + copies)


def test_duplicated_and_replayed_events_change_nothing_a_second_time(launch: Launch) -> None:
    stack = launch()
    since = database_now(stack.engine)
    load = LoadGenerator(stack.system.api, ORDERS, rate=40).start()
    load.wait_sent(ORDERS // 2)
    duplicated = send_everything_twice(stack.broker_url, stack.engine)  # while the rest is still flowing
    result = load.join()
    wait_settled(stack.engine)
    applied_before = applied_events(stack.engine)

    duplicated += send_everything_twice(stack.broker_url, stack.engine)
    replayed = sum(mark_for_republish(stack.engine, table, since=since) for table in OUTBOXES.values())
    replay_done = time.monotonic()

    figures = verify(
        stack,
        "duplicates-and-outbox-replay",
        result,
        since=replay_done,
        duplicated=duplicated,
        replayed=replayed,
    )
    assert applied_events(stack.engine) == applied_before
    assert replayed >= 2 * figures.accepted  # every order.created and every payment result went out again
