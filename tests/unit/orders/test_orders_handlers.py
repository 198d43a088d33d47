"""Orders handlers on the fake unit of work: every path, duplicates and out-of-order events."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from app.contracts import (
    Envelope,
    PaymentFailed,
)
from app.orders import OrdersError, OrderStatus, order_handlers
from tests.unit.orders.fake_orders import OrdersState, fake_uow_factory
from tests.unit.orders.order_events import TOTAL, apply, approved, cancelled, created, declined


@pytest.fixture
def state() -> OrdersState:
    return OrdersState()


def test_the_orders_module_consumes_order_and_payment_result_events() -> None:
    handlers = order_handlers(fake_uow_factory(OrdersState()))

    assert set(handlers) == {
        "order.created",
        "order.cancelled",
        "payment.approved",
        "payment.declined",
        "payment.failed",
    }


def test_a_created_order_is_stored_pending_with_its_first_history_row(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id))

    assert state.statuses[order_id] is OrderStatus.PENDING
    assert state.totals[order_id] == TOTAL
    assert [(r.from_status, r.to_status) for r in state.history_of(order_id)] == [(None, OrderStatus.PENDING)]


def test_a_duplicate_order_created_changes_nothing(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    envelope = created(order_id)

    apply(state, envelope, envelope, created(order_id))

    assert len(state.history_of(order_id)) == 1


def test_an_approved_payment_marks_the_order_paid(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id), approved(order_id))

    assert state.statuses[order_id] is OrderStatus.PAID


@pytest.mark.parametrize(
    "rejection",
    [
        lambda order_id: declined(order_id, "insufficient_funds"),
        lambda order_id: PaymentFailed(uuid.uuid4(), order_id, TOTAL, "insufficient_funds").to_envelope("c"),
    ],
)
def test_a_declined_or_failed_payment_fails_the_order_with_its_reason(
    state: OrdersState, rejection: Callable[[uuid.UUID], Envelope]
) -> None:
    order_id = uuid.uuid4()
    envelope = rejection(order_id)

    apply(state, created(order_id), envelope)

    assert state.statuses[order_id] is OrderStatus.FAILED
    assert state.history_of(order_id)[-1].reason == "insufficient_funds"


def test_cancelling_a_pending_order_cancels_it(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id), cancelled(order_id))

    assert state.statuses[order_id] is OrderStatus.CANCELLED


def test_cancelling_a_paid_order_cancels_it(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply(state, created(order_id), approved(order_id), cancelled(order_id))

    assert state.statuses[order_id] is OrderStatus.CANCELLED
    assert [r.to_status for r in state.history_of(order_id)] == ["PENDING", "PAID", "CANCELLED"]


def test_a_handler_handed_the_wrong_event_type_refuses_it(state: OrdersState) -> None:
    handlers = order_handlers(fake_uow_factory(state))

    with pytest.raises(OrdersError):
        handlers["payment.approved"](created(uuid.uuid4()))
