"""The order state machine: what may follow what, what each event asks for, and how a batch is planned."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.contracts import (
    EVENT_TYPES,
    Incoming,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
    PaymentFailed,
)
from app.orders import HANDLED, OrderStatus, is_cancellable
from app.orders.domain import TARGETS, TRANSITIONS, plan
from tests.unit.orders.order_events import TOTAL, approved, cancelled, created, declined, failed


def test_a_pending_order_can_be_paid_failed_or_cancelled() -> None:
    targets = TRANSITIONS[OrderStatus.PENDING]

    assert targets == {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CANCELLED}


def test_a_paid_order_can_only_be_cancelled() -> None:
    targets = TRANSITIONS[OrderStatus.PAID]

    assert targets == {OrderStatus.CANCELLED}


@pytest.mark.parametrize("terminal", [OrderStatus.FAILED, OrderStatus.CANCELLED])
def test_failed_and_cancelled_orders_never_move_again(terminal: OrderStatus) -> None:
    targets = TRANSITIONS[terminal]

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
    sources = {status for status, targets in TRANSITIONS.items() if OrderStatus.CANCELLED in targets}

    assert sources == {OrderStatus.PENDING, OrderStatus.PAID}


def test_each_event_orders_handles_asks_for_one_status() -> None:
    targets = dict(TARGETS)

    assert targets == {
        OrderCreated: OrderStatus.PENDING,
        PaymentApproved: OrderStatus.PAID,
        PaymentDeclined: OrderStatus.FAILED,
        PaymentFailed: OrderStatus.FAILED,
        OrderCancelled: OrderStatus.CANCELLED,
    }


def test_the_module_handles_exactly_the_events_it_has_targets_for() -> None:
    handled = set(HANDLED)

    assert handled == set(TARGETS)
    assert handled < set(EVENT_TYPES.values())


def test_every_status_an_event_asks_for_is_reachable_or_the_first_one() -> None:
    reachable = {target for targets in TRANSITIONS.values() for target in targets}

    assert set(TARGETS.values()) <= reachable | {OrderStatus.PENDING}


def test_a_planned_creation_opens_a_pending_order_with_its_first_history_line() -> None:
    message = created(order_id := uuid.uuid4())

    result = plan({}, [message])

    assert result.created == [message]
    assert result.final == {order_id: OrderStatus.PENDING}
    assert [(c.from_status, c.to_status, c.event_id) for c in result.history] == [
        (None, OrderStatus.PENDING, message.id)
    ]


def test_creations_are_planned_first_whatever_the_delivery_order() -> None:
    order_id = uuid.uuid4()

    result = plan({}, [approved(order_id), created(order_id)])

    assert result.final == {order_id: OrderStatus.PAID}
    assert [c.to_status for c in result.history] == [OrderStatus.PENDING, OrderStatus.PAID]


def test_moves_are_planned_in_delivery_order() -> None:
    order_id = uuid.uuid4()

    result = plan({order_id: OrderStatus.PENDING}, [cancelled(order_id), approved(order_id)])

    assert result.final == {order_id: OrderStatus.CANCELLED}
    assert [c.to_status for c in result.history] == [OrderStatus.CANCELLED]


@pytest.mark.parametrize(
    ("current", "make"),
    [
        (OrderStatus.CANCELLED, approved),
        (OrderStatus.PAID, declined),
        (OrderStatus.FAILED, cancelled),
        (OrderStatus.PAID, approved),
    ],
)
def test_a_transition_the_table_refuses_plans_nothing(
    current: OrderStatus, make: Callable[[uuid.UUID], Incoming[Any]]
) -> None:
    order_id = uuid.uuid4()
    message = make(order_id)

    result = plan({order_id: current}, [message])

    assert result.created == []
    assert result.final == {}
    assert result.history == []


def test_a_move_about_an_order_never_created_plans_nothing() -> None:
    result = plan({}, [approved(uuid.uuid4())])

    assert (result.created, result.final, result.history) == ([], {}, [])


def test_a_second_creation_of_an_existing_order_plans_nothing() -> None:
    order_id = uuid.uuid4()

    result = plan({order_id: OrderStatus.PAID}, [created(order_id)])

    assert (result.created, result.final, result.history) == ([], {}, [])


def test_the_reason_of_a_rejected_payment_goes_into_the_history_line() -> None:
    order_id = uuid.uuid4()

    result = plan({order_id: OrderStatus.PENDING}, [failed(order_id, "provider_timeout")])

    assert [(c.to_status, c.reason, c.event_type) for c in result.history] == [
        (OrderStatus.FAILED, "provider_timeout", "payment.failed")
    ]


def test_a_plan_lists_only_orders_whose_status_changes() -> None:
    moved, untouched, fresh = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    current = {moved: OrderStatus.PENDING, untouched: OrderStatus.CANCELLED}

    result = plan(current, [approved(moved), approved(untouched), created(fresh)])

    assert result.final == {moved: OrderStatus.PAID, fresh: OrderStatus.PENDING}
    assert [message.event.total for message in result.created] == [TOTAL]
