"""The orders batch handler on the fake unit of work: every path, duplicates, mixed batches, failures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.contracts import Incoming
from app.orders import HANDLED, OrderStatus
from tests.unit.orders.fake_orders import OrdersState, StorageFailure
from tests.unit.orders.order_events import (
    TOTAL,
    apply,
    apply_each,
    approved,
    cancelled,
    created,
    declined,
    failed,
    moves_of,
    orders_on,
)

PENDING, PAID, FAILED, CANCELLED = (
    OrderStatus.PENDING,
    OrderStatus.PAID,
    OrderStatus.FAILED,
    OrderStatus.CANCELLED,
)


@pytest.fixture
def state() -> OrdersState:
    return OrdersState()


def test_the_module_maps_every_event_it_handles_to_one_batch_handler(state: OrdersState) -> None:
    handlers = orders_on(state).handlers

    assert set(handlers) == set(HANDLED)
    assert {event.TYPE for event in handlers} == {
        "order.created",
        "order.cancelled",
        "payment.approved",
        "payment.declined",
        "payment.failed",
    }
    assert len(set(handlers.values())) == 1


def test_a_created_order_is_stored_pending_with_its_first_history_line(state: OrdersState) -> None:
    order_id, user_id = uuid.uuid4(), uuid.uuid4()
    message = created(order_id, user_id)

    waiting = apply(state, message)

    assert waiting == frozenset()
    stored = state.orders[order_id]
    assert (stored.status, stored.user_id, stored.total) == (PENDING, user_id, TOTAL)
    assert moves_of(state, order_id) == [(None, PENDING)]
    assert state.history_of(order_id)[0].event_id == message.id
    assert message.id in state.claimed


def test_an_approved_payment_marks_the_order_paid(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), approved(order_id))

    assert state.status_of(order_id) is PAID


@pytest.mark.parametrize("rejection", [declined, failed])
def test_a_declined_or_failed_payment_fails_the_order_and_keeps_its_reason(
    state: OrdersState, rejection: Callable[[uuid.UUID, str], Incoming[Any]]
) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), rejection(order_id, "insufficient_funds"))

    assert state.status_of(order_id) is FAILED
    assert state.history_of(order_id)[-1].reason == "insufficient_funds"


def test_cancelling_a_pending_order_cancels_it(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), cancelled(order_id))

    assert state.status_of(order_id) is CANCELLED


def test_cancelling_a_paid_order_cancels_it(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), approved(order_id), cancelled(order_id))

    assert state.status_of(order_id) is CANCELLED
    assert moves_of(state, order_id) == [(None, PENDING), (PENDING, PAID), (PAID, CANCELLED)]


def test_a_duplicate_order_created_across_batches_changes_nothing(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    apply(state, message)

    apply_each(state, message, created(order_id))

    assert len(state.history_of(order_id)) == 1


def test_a_duplicate_payment_result_across_batches_writes_one_history_line(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    message = approved(order_id)

    apply_each(state, created(order_id), message, message)

    assert moves_of(state, order_id) == [(None, PENDING), (PENDING, PAID)]


def test_duplicates_within_one_batch_are_applied_once(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    creation, cancel = created(order_id), cancelled(order_id)

    apply(state, creation, creation, cancel, cancel, created(order_id))

    assert state.status_of(order_id) is CANCELLED
    assert moves_of(state, order_id) == [(None, PENDING), (PENDING, CANCELLED)]
    assert {creation.id, cancel.id} <= state.claimed


def test_a_refused_transition_claims_its_event_and_writes_nothing(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    apply_each(state, created(order_id), cancelled(order_id))
    late = approved(order_id)

    apply(state, late)

    assert state.status_of(order_id) is CANCELLED
    assert len(state.history_of(order_id)) == 2
    assert late.id in state.claimed


def test_a_mixed_batch_is_applied_in_one_go(state: OrdersState) -> None:
    paid, cancelled_early, failing, untouched = (uuid.uuid4() for _ in range(4))
    apply(state, created(untouched))
    orphan = approved(uuid.uuid4())
    batch = [
        approved(paid),
        created(paid),
        created(cancelled_early),
        cancelled(cancelled_early),
        orphan,
        created(failing),
        declined(failing, "card_declined"),
    ]

    waiting = apply(state, *batch)

    assert waiting == {orphan.id}
    assert {
        order_id: state.status_of(order_id) for order_id in (paid, cancelled_early, failing, untouched)
    } == {
        paid: PAID,
        cancelled_early: CANCELLED,
        failing: FAILED,
        untouched: PENDING,
    }
    assert {m.id for m in batch if m is not orphan} <= state.claimed
    assert orphan.id not in state.claimed


def test_a_batch_whose_save_fails_keeps_nothing(state: OrdersState) -> None:
    order_id, other = uuid.uuid4(), uuid.uuid4()
    apply(state, created(other))
    batch = [created(order_id), approved(other)]
    state.broken_saves = 1

    with pytest.raises(StorageFailure):
        apply(state, *batch)

    assert order_id not in state.orders
    assert state.status_of(other) is PENDING
    assert not {m.id for m in batch} & state.claimed
    assert len(state.history) == 1


def test_a_batch_that_failed_applies_in_full_when_delivered_again(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    batch = [created(order_id), approved(order_id)]
    state.broken_saves = 1
    with pytest.raises(StorageFailure):
        apply(state, *batch)

    apply(state, *batch)

    assert state.status_of(order_id) is PAID
    assert {m.id for m in batch} <= state.claimed
