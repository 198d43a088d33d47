"""Reconciliation on plain data: which orders are consistent, inconsistent, stuck, missing or in flight."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.cli.invariants import (
    INCONSISTENT,
    MISSING,
    STUCK,
    UNRELEASED,
    OrderRecord,
    PaymentRecord,
    Report,
    reconcile,
)
from app.orders import OrderStatus
from app.payments import PaymentStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(minutes=10)
JUST_NOW = NOW - timedelta(seconds=5)
STUCK_AFTER = timedelta(seconds=60)


def check(
    orders: list[OrderRecord], payments: list[PaymentRecord], accepted: list[uuid.UUID] | None = None
) -> Report:
    """Every order given counts as accepted long ago unless `accepted` says otherwise."""
    ids = [order.id for order in orders] if accepted is None else accepted
    return reconcile(dict.fromkeys(ids, LONG_AGO), orders, payments, now=NOW, stuck_after=STUCK_AFTER)


def pair(
    order_status: OrderStatus, payment_status: PaymentStatus | None, at: datetime = LONG_AGO
) -> tuple[OrderRecord, list[PaymentRecord]]:
    order = OrderRecord(uuid.uuid4(), order_status, at)
    if payment_status is None:
        return order, []
    return order, [PaymentRecord(uuid.uuid4(), order.id, payment_status, at)]


@pytest.mark.parametrize(
    ("order_status", "payment_status"),
    [
        (OrderStatus.PAID, PaymentStatus.APPROVED),
        (OrderStatus.FAILED, PaymentStatus.DECLINED),
        (OrderStatus.FAILED, PaymentStatus.FAILED),
        (OrderStatus.CANCELLED, PaymentStatus.CANCELLED),
        (OrderStatus.CANCELLED, PaymentStatus.REFUNDED),
        (OrderStatus.CANCELLED, PaymentStatus.DECLINED),
        (OrderStatus.CANCELLED, PaymentStatus.FAILED),
    ],
)
def test_settled_consistent_pairs_pass(
    order_status: OrderStatus, payment_status: PaymentStatus | None
) -> None:
    order, payments = pair(order_status, payment_status)

    report = check([order], payments)

    assert report.consistent
    assert report.problems == ()
    assert (report.accepted, report.settled, report.payments) == (1, 1, len(payments))


@pytest.mark.parametrize(
    ("order_status", "payment_status"),
    [
        (OrderStatus.PAID, PaymentStatus.DECLINED),
        (OrderStatus.PAID, PaymentStatus.REFUNDED),
        (OrderStatus.FAILED, PaymentStatus.APPROVED),
        (OrderStatus.CANCELLED, PaymentStatus.APPROVED),
        (OrderStatus.FAILED, PaymentStatus.REFUNDED),
    ],
)
def test_a_mismatched_pair_is_inconsistent(order_status: OrderStatus, payment_status: PaymentStatus) -> None:
    order, payments = pair(order_status, payment_status)

    report = check([order], payments)

    assert not report.consistent
    assert [(p.kind, p.order_id) for p in report.problems] == [(INCONSISTENT, order.id)]
    assert f"order {order_status}, payment {payment_status}" in report.problems[0].detail
    assert str(payments[0].id) in report.problems[0].detail


def test_two_payments_for_one_order_are_inconsistent() -> None:
    order, payments = pair(OrderStatus.PAID, PaymentStatus.APPROVED)
    second = PaymentRecord(uuid.uuid4(), order.id, PaymentStatus.APPROVED, LONG_AGO)

    report = check([order], [*payments, second])

    assert [p.kind for p in report.problems] == [INCONSISTENT]
    assert "2 payments" in report.problems[0].detail


@pytest.mark.parametrize("order_status", [OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CANCELLED])
def test_a_settled_order_without_a_payment_is_missing_its_payment(order_status: OrderStatus) -> None:
    order, _ = pair(order_status, None)

    report = check([order], [])

    assert [(p.kind, p.detail) for p in report.problems] == [
        (MISSING, f"order {order_status} has no payment")
    ]


def test_an_accepted_order_the_orders_module_never_stored_is_missing() -> None:
    lost = uuid.uuid4()

    report = check([], [], accepted=[lost])

    assert [(p.kind, p.order_id) for p in report.problems] == [(MISSING, lost)]
    assert report.accepted == 1


def test_a_payment_without_an_order_is_missing_its_order() -> None:
    orphan = PaymentRecord(uuid.uuid4(), uuid.uuid4(), PaymentStatus.APPROVED, LONG_AGO)

    report = check([], [orphan], accepted=[])

    assert [(p.kind, p.order_id) for p in report.problems] == [(MISSING, orphan.order_id)]
    assert str(orphan.id) in report.problems[0].detail


@pytest.mark.parametrize(
    ("order_status", "payment_status"),
    [
        (OrderStatus.PENDING, None),
        (OrderStatus.PENDING, PaymentStatus.APPROVED),
        (OrderStatus.PENDING, PaymentStatus.PROCESSING),
        (OrderStatus.CANCELLED, PaymentStatus.PROCESSING),
    ],
)
def test_pending_orders_and_processing_payments_unchanged_too_long_are_stuck(
    order_status: OrderStatus, payment_status: PaymentStatus | None
) -> None:
    order, payments = pair(order_status, payment_status)

    report = check([order], payments)

    assert [(p.kind, p.order_id) for p in report.problems] == [(STUCK, order.id)]


def test_work_changed_within_the_stuck_deadline_is_in_flight_and_not_judged() -> None:
    pending, none = pair(OrderStatus.PENDING, None, at=JUST_NOW)
    racing, approved = pair(OrderStatus.CANCELLED, PaymentStatus.APPROVED, at=JUST_NOW)

    report = check([pending, racing], [*none, *approved])

    assert report.consistent
    assert report.in_flight == 2


def test_an_order_is_in_flight_while_its_payment_changed_recently() -> None:
    order = OrderRecord(uuid.uuid4(), OrderStatus.PENDING, LONG_AGO)
    payment = PaymentRecord(uuid.uuid4(), order.id, PaymentStatus.APPROVED, JUST_NOW)

    report = check([order], [payment])

    assert report.consistent
    assert report.in_flight == 1


def test_the_summary_counts_each_kind_and_problems_are_listed_by_kind() -> None:
    good, good_payments = pair(OrderStatus.PAID, PaymentStatus.APPROVED)
    bad, bad_payments = pair(OrderStatus.PAID, PaymentStatus.DECLINED)
    stuck, _ = pair(OrderStatus.PENDING, None)
    lost = uuid.uuid4()

    report = check(
        [good, bad, stuck], [*good_payments, *bad_payments], accepted=[good.id, bad.id, stuck.id, lost]
    )

    assert report.summary() == (
        "orders accepted 4, orders settled 2, payments 2, inconsistent 1, stuck 1, missing 1, unreleased 0"
    )
    assert [p.kind for p in report.problems] == [INCONSISTENT, STUCK, MISSING]


def test_nothing_at_all_is_consistent() -> None:
    report = check([], [])

    assert report.consistent
    assert report.summary() == (
        "orders accepted 0, orders settled 0, payments 0, inconsistent 0, stuck 0, missing 0, unreleased 0"
    )


@pytest.mark.parametrize(
    ("order_status", "payment_status"),
    [(OrderStatus.CANCELLED, PaymentStatus.CANCELLED), (OrderStatus.FAILED, PaymentStatus.FAILED)],
)
def test_a_settled_pair_whose_release_is_owed_too_long_is_unreleased(
    order_status: OrderStatus, payment_status: PaymentStatus
) -> None:
    order, payments = pair(order_status, payment_status)

    report = reconcile(
        {order.id: LONG_AGO}, [order], payments, now=NOW, stuck_after=STUCK_AFTER, owed={order.id: LONG_AGO}
    )

    [problem] = report.problems
    assert (problem.kind, problem.order_id) == (UNRELEASED, order.id)
    assert f"{payment_status} ({payments[0].id}) may hold money" in problem.detail
    assert report.summary().endswith("unreleased 1")


def test_a_release_owed_since_just_now_is_in_flight_and_not_judged() -> None:
    order, payments = pair(OrderStatus.CANCELLED, PaymentStatus.CANCELLED)

    report = reconcile(
        {order.id: LONG_AGO}, [order], payments, now=NOW, stuck_after=STUCK_AFTER, owed={order.id: JUST_NOW}
    )

    assert report.consistent
    assert report.in_flight == 1
