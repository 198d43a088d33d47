"""The trigger-kept payment_totals (one row per status) equal a GROUP BY over payments while several
workers open, settle and cancel payments at once."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app import payments
from app.contracts import Incoming
from app.payments.tables import payments as payments_table
from tests.integration.events import cancelled, created
from tests.integration.payments.sql_payments import (
    DECLINED,
    FakeProvider,
    build,
    deliver,
    ground_truth,
    summed,
)
from tests.integration.racing import run_together, until_applied

pytestmark = pytest.mark.integration

BATCH = 4


def test_totals_stay_exact_while_workers_settle_and_cancel_payments_at_once(engine: Engine) -> None:
    # Workers whose provider approves, never answers or declines: payments end in many statuses.
    providers = [FakeProvider(), FakeProvider(answer=None), FakeProvider(answer=DECLINED)]
    workers = [build(engine, provider) for provider in providers]
    work: list[list[Incoming[Any]]] = [[] for _ in workers]
    for index in range(48):
        order_id = uuid.uuid4()
        steps = [created(order_id), *([cancelled(order_id)] if index % 2 else [])]
        for offset, step in enumerate(steps):  # one order's events go to different workers
            work[(index + offset) % len(workers)].append(step)

    run_together(*(functools.partial(_deliver_all, w, mine) for w, mine in zip(workers, work, strict=True)))

    assert summed(engine) == ground_truth(engine)
    with engine.connect() as conn:
        reached = set(conn.execute(select(payments_table.c.status).distinct()).scalars())
    assert len(reached) >= 4


def _deliver_all(worker: payments.Payments, events: list[Incoming[Any]]) -> None:
    for start in range(0, len(events), BATCH):
        until_applied(functools.partial(deliver, worker, *events[start : start + BATCH]))
