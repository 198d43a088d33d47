"""The orders handler on the fake: early, late and repeated events never corrupt an order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.contracts import Incoming
from app.orders import OrderStatus
from tests.unit.orders.fake_orders import OrdersState
from tests.unit.orders.order_events import apply, apply_each, approved, cancelled, created, declined


@pytest.fixture
def state() -> OrdersState:
    return OrdersState()


def test_a_late_approval_never_moves_a_cancelled_order(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), cancelled(order_id), approved(order_id))

    assert state.status_of(order_id) is OrderStatus.CANCELLED
    assert len(state.history_of(order_id)) == 2


def test_a_decline_after_payment_never_moves_a_paid_order(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    apply_each(state, created(order_id), approved(order_id), declined(order_id))

    assert state.status_of(order_id) is OrderStatus.PAID


@pytest.mark.parametrize("early", [approved, declined, cancelled])
def test_an_event_about_an_order_not_created_yet_waits_and_is_not_claimed(
    state: OrdersState, early: Callable[[uuid.UUID], Incoming[Any]]
) -> None:
    order_id = uuid.uuid4()
    message = early(order_id)

    waiting = apply(state, message)

    assert waiting == {message.id}
    assert message.id not in state.claimed
    assert order_id not in state.orders
    assert state.history == []


def test_an_event_waits_only_for_its_own_order(state: OrdersState) -> None:
    known, unknown = uuid.uuid4(), uuid.uuid4()
    apply(state, created(known))
    ready, early = approved(known), approved(unknown)

    waiting = apply(state, early, ready)

    assert waiting == {early.id}
    assert state.status_of(known) is OrderStatus.PAID
    assert ready.id in state.claimed


def test_an_event_delivered_with_its_order_creation_in_one_batch_does_not_wait(state: OrdersState) -> None:
    order_id = uuid.uuid4()

    waiting = apply(state, cancelled(order_id), created(order_id))

    assert waiting == frozenset()
    assert state.status_of(order_id) is OrderStatus.CANCELLED


def test_a_waiting_event_applies_once_the_order_exists(state: OrdersState) -> None:
    order_id = uuid.uuid4()
    early = approved(order_id)
    apply(state, early)

    apply_each(state, created(order_id), early)

    assert state.status_of(order_id) is OrderStatus.PAID
    assert early.id in state.claimed
