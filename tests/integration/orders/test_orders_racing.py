"""Orders batches racing each other on PostgreSQL: no deadlock, no event applied twice, none lost."""

from __future__ import annotations

import functools
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.contracts import Incoming
from app.orders.unit_of_work import SqlOrdersUnitOfWork
from tests.integration.events import approved, cancelled, created
from tests.integration.orders.sql_orders import apply, claimed, history_of, status_of
from tests.integration.racing import run_together
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PAID_THEN_CANCELLED = [(None, "PENDING", None), ("PENDING", "PAID", None), ("PAID", "CANCELLED", None)]


class HoldsBeforeCommit(SqlOrdersUnitOfWork):
    """Saves its batch, then keeps its transaction (and its order locks) open until `release` is set."""

    def __init__(self, engine: Engine, saved: threading.Event, release: threading.Event) -> None:
        super().__init__(engine)
        self._saved, self._release = saved, release

    def commit(self) -> None:
        self._saved.set()
        self._release.wait(10)
        super().commit()


def waiting_for_an_order_lock(engine: Engine) -> bool:
    query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar_one())


def while_its_creation_commits(
    engine: Engine, create: Incoming[Any], *batch: Incoming[Any]
) -> frozenset[uuid.UUID]:
    """Apply `batch` while another transaction has stored `create` but not committed it yet."""
    saved, release = threading.Event(), threading.Event()
    holding = functools.partial(HoldsBeforeCommit, engine, saved, release)
    creating = threading.Thread(target=apply, args=(engine, create), kwargs={"unit_of_work": holding})
    creating.start()
    saved.wait(10)
    results: list[frozenset[uuid.UUID]] = []
    racing = threading.Thread(target=lambda: results.append(apply(engine, *batch)))
    racing.start()
    wait_until(lambda: waiting_for_an_order_lock(engine), timeout=10, what="the batch to wait for the lock")
    release.set()
    creating.join(10)
    racing.join(10)
    return results[0]


def test_two_batches_on_overlapping_orders_at_once_neither_deadlock_nor_apply_an_event_twice(
    engine: Engine,
) -> None:
    order_ids = [uuid.uuid4() for _ in range(60)]
    apply(engine, *map(created, order_ids))
    approvals = [approved(order_id) for order_id in order_ids]  # delivered to both batches
    cancels = [cancelled(order_id) for order_id in order_ids]
    one = [*approvals, *cancels[:30]]
    other = [*reversed(approvals), *cancels[30:]]

    run_together(functools.partial(apply, engine, *one), functools.partial(apply, engine, *other))

    assert {order_id: history_of(engine, order_id) for order_id in order_ids} == dict.fromkeys(
        order_ids, PAID_THEN_CANCELLED
    )


def test_a_cancel_racing_an_approval_always_ends_cancelled(engine: Engine) -> None:
    order_ids = [uuid.uuid4() for _ in range(20)]
    apply(engine, *map(created, order_ids))

    for order_id in order_ids:
        run_together(
            functools.partial(apply, engine, approved(order_id)),
            functools.partial(apply, engine, cancelled(order_id)),
        )

    assert {status_of(engine, order_id) for order_id in order_ids} == {"CANCELLED"}


def test_a_result_racing_its_orders_creation_waits_for_the_creation_and_applies(engine: Engine) -> None:
    order_id = uuid.uuid4()
    create, approve = created(order_id), approved(order_id)

    waiting = while_its_creation_commits(engine, create, approve)

    assert waiting == frozenset()
    assert status_of(engine, order_id) == "PAID"
    assert claimed(engine, create, approve) == {create.id, approve.id}


def test_a_result_batched_with_a_redelivered_creation_another_batch_commits_meanwhile_is_not_lost(
    engine: Engine,
) -> None:
    order_id = uuid.uuid4()
    create, approve = created(order_id), approved(order_id)

    waiting = while_its_creation_commits(engine, create, create, approve)

    assert waiting == frozenset()
    assert status_of(engine, order_id) == "PAID"
    assert history_of(engine, order_id) == [(None, "PENDING", None), ("PENDING", "PAID", None)]
