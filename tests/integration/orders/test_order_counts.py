"""The trigger-kept order_counts (one row per status) equal count(*) under inserts, moves and deletes."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, update

from app.contracts import Incoming
from app.orders.tables import orders
from tests.integration.events import approved, cancelled, created, declined
from tests.integration.orders.sql_orders import apply, counted, ground_truth
from tests.integration.racing import run_together, until_applied

pytestmark = pytest.mark.integration

THREADS = 4
BATCH = 6


def test_counts_follow_inserts_moves_and_deletes(engine: Engine) -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    apply(engine, *map(created, ids))
    apply(engine, approved(ids[0]), approved(ids[1]), declined(ids[2]))

    with engine.begin() as conn:
        conn.execute(orders.delete().where(orders.c.id == ids[0]))

    assert counted(engine) == ground_truth(engine) == {"PENDING": 2, "PAID": 1, "FAILED": 1}


def test_a_set_based_update_by_an_operator_moves_the_counts(engine: Engine) -> None:
    ids = [uuid.uuid4() for _ in range(4)]
    apply(engine, *map(created, ids), approved(ids[0]))

    with engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.status == "PENDING").values(status="CANCELLED"))

    assert counted(engine) == ground_truth(engine) == {"PAID": 1, "CANCELLED": 3}


def test_counts_stay_exact_while_batches_create_and_move_orders_concurrently(engine: Engine) -> None:
    ids = [uuid.uuid4() for _ in range(72)]
    apply(engine, *map(created, ids[:36]))
    events = []
    for index, order_id in enumerate(ids):
        result = approved(order_id) if index % 3 else declined(order_id)
        opening = [created(order_id)] if index >= 36 else []
        events += [*opening, result, result, *([cancelled(order_id)] if index % 2 else [])]
    # Round robin: one order's events land in different threads' batches.
    work = [events[start::THREADS] for start in range(THREADS)]
    batches = [[chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)] for chunk in work]

    run_together(*(functools.partial(_apply_all, engine, mine) for mine in batches))

    assert counted(engine) == ground_truth(engine)
    assert sum(counted(engine).values()) == len(ids)


def _apply_all(engine: Engine, batches: list[list[Incoming[Any]]]) -> None:
    for batch in batches:
        until_applied(functools.partial(apply, engine, *batch))
