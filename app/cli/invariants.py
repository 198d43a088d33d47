"""The order/payment invariants checked on plain data: orders missing, inconsistent, stuck or unreleased."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from app.orders import OrderStatus
from app.payments import PaymentStatus

MISSING = "missing"
INCONSISTENT = "inconsistent"
STUCK = "stuck"
UNRELEASED = "unreleased"  # settled and consistent, but a give-back at the provider is still owed
KINDS = (INCONSISTENT, STUCK, MISSING, UNRELEASED)

# The payment statuses each final order status may be paired with.
ALLOWED_PAYMENTS: dict[OrderStatus, frozenset[PaymentStatus]] = {
    OrderStatus.PAID: frozenset({PaymentStatus.APPROVED}),
    OrderStatus.FAILED: frozenset({PaymentStatus.DECLINED, PaymentStatus.FAILED}),
    # A cancel accepted while the order was PENDING can lose the race to a decline or a failure on the
    # payments side: no money was taken. A payment always exists, even for an order cancelled before its
    # payment was created (it is born CANCELLED), so a missing one means payments lost the order.
    OrderStatus.CANCELLED: frozenset(
        {PaymentStatus.CANCELLED, PaymentStatus.REFUNDED, PaymentStatus.DECLINED, PaymentStatus.FAILED}
    ),
}


class OrderRecord(NamedTuple):
    id: uuid.UUID
    status: OrderStatus
    changed_at: datetime


class PaymentRecord(NamedTuple):
    id: uuid.UUID
    order_id: uuid.UUID
    status: PaymentStatus
    changed_at: datetime


@dataclass(frozen=True)
class Problem:
    """One order breaking an invariant: `kind` is missing, inconsistent, stuck or unreleased."""

    kind: str
    order_id: uuid.UUID
    detail: str


@dataclass(frozen=True)
class Report:
    """The figures of one check and every problem found, sorted by kind then order id."""

    accepted: int
    settled: int
    payments: int
    in_flight: int
    problems: tuple[Problem, ...]

    def count(self, kind: str) -> int:
        return sum(1 for problem in self.problems if problem.kind == kind)

    @property
    def consistent(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = ", ".join(f"{kind} {self.count(kind)}" for kind in KINDS)
        figures = f"orders accepted {self.accepted}, orders settled {self.settled}, payments {self.payments}"
        return f"{figures}, {counts}"


def reconcile(
    accepted: Mapping[uuid.UUID, datetime],
    orders: Iterable[OrderRecord],
    payments: Iterable[PaymentRecord],
    *,
    now: datetime,
    stuck_after: timedelta,
    owed: Mapping[uuid.UUID, datetime] | None = None,
) -> Report:
    """Judge every order any module knows; one that changed within `stuck_after` is in flight, not judged.
    `owed` says since when a release at the provider is owed for an order's payment (the sweeper's)."""
    owed = owed or {}
    by_id = {order.id: order for order in orders}
    paid: dict[uuid.UUID, list[PaymentRecord]] = defaultdict(list)
    for payment in payments:
        paid[payment.order_id].append(payment)
    problems: list[Problem] = []
    in_flight = 0
    for order_id in accepted.keys() | by_id.keys() | paid.keys():
        order, its_payments = by_id.get(order_id), paid.get(order_id, [])
        changed = [accepted.get(order_id), None if order is None else order.changed_at]
        changed += [payment.changed_at for payment in its_payments] + [owed.get(order_id)]
        if now - max(stamp for stamp in changed if stamp) < stuck_after:
            in_flight += 1
        elif (problem := judge(order_id, order_id in accepted, order, its_payments)) is not None:
            problems.append(problem)
        elif (since := owed.get(order_id)) is not None:
            owed_since = since.isoformat(timespec="seconds")
            detail = f"payment {_describe(its_payments[0])} may hold money: release owed since {owed_since}"
            problems.append(Problem(UNRELEASED, order_id, detail))
    settled = sum(1 for order in by_id.values() if order.status in ALLOWED_PAYMENTS)
    problems.sort(key=lambda p: (KINDS.index(p.kind), str(p.order_id)))
    count = sum(len(found) for found in paid.values())
    return Report(len(accepted), settled, count, in_flight, tuple(problems))


def judge(
    order_id: uuid.UUID, accepted: bool, order: OrderRecord | None, payments: list[PaymentRecord]
) -> Problem | None:
    """The first invariant this order breaks, or None when it is settled and consistent."""
    payment = payments[0] if payments else None
    if len(payments) > 1:
        ids = ", ".join(str(p.id) for p in payments)
        return Problem(INCONSISTENT, order_id, f"{len(payments)} payments: {ids}")
    if order is None:
        source = "accepted by the gateway" if accepted else f"payment {_describe(payment)}"
        return Problem(MISSING, order_id, f"no order ({source})")
    if order.status is OrderStatus.PENDING or (
        payment is not None and payment.status is PaymentStatus.PROCESSING
    ):
        return Problem(STUCK, order_id, f"order {order.status}, payment {_describe(payment)}")
    if payment is None:
        return Problem(MISSING, order_id, f"order {order.status} has no payment")
    if payment.status in ALLOWED_PAYMENTS.get(order.status, frozenset()):
        return None
    return Problem(INCONSISTENT, order_id, f"order {order.status}, payment {_describe(payment)}")


def _describe(payment: PaymentRecord | None) -> str:
    return "none" if payment is None else f"{payment.status} ({payment.id})"
