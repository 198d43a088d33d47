"""The order state machine: what may follow what, and what may be cancelled."""

from __future__ import annotations

import pytest

from app.orders import OrderStatus, is_cancellable
from app.orders.domain import TRANSITIONS, can_move, sources_of


def test_a_pending_order_can_be_paid_failed_or_cancelled() -> None:
    targets = TRANSITIONS[OrderStatus.PENDING]

    assert targets == {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CANCELLED}


def test_a_paid_order_can_only_be_cancelled() -> None:
    targets = TRANSITIONS[OrderStatus.PAID]

    assert targets == {OrderStatus.CANCELLED}


@pytest.mark.parametrize("terminal", [OrderStatus.FAILED, OrderStatus.CANCELLED])
def test_failed_and_cancelled_orders_never_move_again(terminal: OrderStatus) -> None:
    targets = TRANSITIONS[terminal]

    assert not any(can_move(terminal, target) for target in OrderStatus)
    assert targets == frozenset()


def test_every_status_has_a_row_in_the_transitions_table() -> None:
    statuses = set(TRANSITIONS)

    assert statuses == set(OrderStatus)


@pytest.mark.parametrize(
    ("status", "cancellable"),
    [("PENDING", True), ("PAID", True), ("FAILED", False), ("CANCELLED", False), ("NONSENSE", False)],
)
def test_only_pending_and_paid_orders_are_cancellable(status: str, cancellable: bool) -> None:
    answer = is_cancellable(status)

    assert answer is cancellable


def test_cancellation_is_reachable_from_pending_and_paid() -> None:
    sources = sources_of(OrderStatus.CANCELLED)

    assert sources == {OrderStatus.PENDING, OrderStatus.PAID}
