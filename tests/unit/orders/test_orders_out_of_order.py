"""Orders handlers on the fake: late, repeated and early events never corrupt an order."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from app.contracts import Envelope, NotYetApplicable
from app.orders import OrderStatus
from tests.unit.orders.fake_orders import OrdersState
from tests.unit.orders.order_events import apply, approved, cancelled, created, declined


@pytest.fixture
def state() -> OrdersState:
    return OrdersState()


def test_a_late_approval_never_moves_a_cancelled_order(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id), cancelled(order_id), approved(order_id))

    assert state.statuses[order_id] is OrderStatus.CANCELLED
    assert len(state.history_of(order_id)) == 2


def test_a_decline_after_payment_never_moves_a_paid_order(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id), approved(order_id), declined(order_id))

    assert state.statuses[order_id] is OrderStatus.PAID


def test_a_duplicate_payment_result_writes_one_history_row(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    envelope = approved(order_id)

    apply(state, created(order_id), envelope, envelope)

    assert len(state.history_of(order_id)) == 2


@pytest.mark.parametrize("early", [approved, declined, cancelled])
def test_an_event_about_an_order_not_stored_yet_is_retried_later(
    state: OrdersState, early: Callable[[uuid.UUID], Envelope]
) -> None:
    order_id = uuid.uuid4()
    envelope = early(order_id)

    with pytest.raises(NotYetApplicable):
        apply(state, envelope)

    assert envelope.id not in state.inbox


def test_a_retried_event_applies_once_the_order_exists(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    early = approved(order_id)
    with pytest.raises(NotYetApplicable):
        apply(state, early)

    apply(state, created(order_id), early)

    assert state.statuses[order_id] is OrderStatus.PAID
