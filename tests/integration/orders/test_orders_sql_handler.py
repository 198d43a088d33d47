"""The orders batch handler on PostgreSQL: one transaction per batch, each event applied at most once."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from app.orders import OrderQueries
from app.orders.domain import plan
from app.orders.tables import order_history
from app.orders.unit_of_work import SqlOrdersUnitOfWork
from tests.integration.events import approved, cancelled, created, declined
from tests.integration.orders.sql_orders import apply, claimed, history_of, status_of

pytestmark = pytest.mark.integration


def test_a_batch_creating_an_order_and_moving_it_applies_both(engine: Engine) -> None:
    order_id = uuid.uuid4()
    create, approve = created(order_id), approved(order_id)

    waiting = apply(engine, approve, create)  # the move was delivered first

    assert waiting == frozenset()
    assert status_of(engine, order_id) == "PAID"
    assert history_of(engine, order_id) == [(None, "PENDING", None), ("PENDING", "PAID", None)]


def test_duplicates_in_a_batch_and_across_batches_are_applied_once(engine: Engine) -> None:
    order_id = uuid.uuid4()
    create, approve = created(order_id), approved(order_id)

    apply(engine, create, create, approve, approve)
    apply(engine, approve, create)

    assert status_of(engine, order_id) == "PAID"
    assert history_of(engine, order_id) == [(None, "PENDING", None), ("PENDING", "PAID", None)]
    assert claimed(engine, create, approve) == {create.id, approve.id}


def test_events_about_orders_not_stored_yet_wait_unclaimed_while_the_rest_applies(engine: Engine) -> None:
    known, unknown = uuid.uuid4(), uuid.uuid4()
    early_approval, early_cancel = approved(unknown), cancelled(unknown)
    create_known = created(known)

    waiting = apply(engine, early_approval, create_known, early_cancel, approved(known))

    assert waiting == {early_approval.id, early_cancel.id}
    assert claimed(engine, early_approval, early_cancel) == set()
    assert status_of(engine, unknown) is None
    assert status_of(engine, known) == "PAID"


def test_a_waiting_event_applies_when_delivered_again_after_its_order(engine: Engine) -> None:
    order_id = uuid.uuid4()
    early = approved(order_id)
    apply(engine, early)
    apply(engine, created(order_id))

    waiting = apply(engine, early)

    assert waiting == frozenset()
    assert status_of(engine, order_id) == "PAID"


def test_every_change_is_explained_in_the_history_and_refused_moves_change_nothing(engine: Engine) -> None:
    order_id = uuid.uuid4()
    late = [cancelled(order_id), approved(order_id)]  # FAILED is terminal

    apply(engine, created(order_id), declined(order_id, "card_declined"))
    apply(engine, *late)

    assert status_of(engine, order_id) == "FAILED"
    assert history_of(engine, order_id) == [(None, "PENDING", None), ("PENDING", "FAILED", "card_declined")]
    assert claimed(engine, *late) == {message.id for message in late}


def test_the_history_of_a_batch_is_kept_in_delivery_order(engine: Engine) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    batch = [created(first), created(second), approved(second), cancelled(first), cancelled(second)]

    apply(engine, *batch)

    query = select(order_history.c.event_id, order_history.c.at).order_by(order_history.c.id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    assert [event_id for event_id, _ in rows] == [message.id for message in batch]
    assert [at for _, at in rows] == sorted(at for _, at in rows)


def test_orders_created_in_one_batch_are_listed_newest_first_in_reverse_delivery_order(
    engine: Engine,
) -> None:
    batch = [created(uuid.uuid4()) for _ in range(4)]

    apply(engine, *batch)

    page = OrderQueries(engine).page(page=1, limit=10)
    assert [view.id for view in page.items] == [message.event.order_id for message in reversed(batch)]


def test_orders_are_listed_by_when_the_gateway_accepted_them_not_by_when_their_event_was_applied(
    engine: Engine,
) -> None:
    placed_later = created(uuid.uuid4())
    placed_first = dataclasses.replace(
        created(uuid.uuid4()), occurred_at=placed_later.occurred_at - timedelta(seconds=1)
    )

    apply(engine, placed_later)
    apply(engine, placed_first)  # its event was published after the other's (two relays race)

    views = OrderQueries(engine).page(page=1, limit=10).items
    assert [view.id for view in views] == [placed_later.event.order_id, placed_first.event.order_id]
    assert views[1].created_at == placed_first.occurred_at


def test_a_batch_that_fails_keeps_nothing_of_any_of_its_events(engine: Engine) -> None:
    good, bad = uuid.uuid4(), uuid.uuid4()
    batch = [created(good), created(bad, total=Decimal("-1.00"))]  # refused by ck_orders_total_positive

    with pytest.raises(IntegrityError):
        apply(engine, *batch)

    assert status_of(engine, good) is None
    assert claimed(engine, *batch) == set()


def test_the_unit_of_work_keeps_nothing_unless_committed(engine: Engine) -> None:
    order_id = uuid.uuid4()
    create = created(order_id)

    with SqlOrdersUnitOfWork(engine) as uow:
        uow.lock([order_id])
        uow.claim([create])
        uow.save(plan({}, [create]))

    assert status_of(engine, order_id) is None
    assert claimed(engine, create) == set()
