"""The payments module built on PostgreSQL with a fake provider, and reading back what it did."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, update

from app import payments
from app.contracts import Incoming, OrderCreated
from app.payments import ChargeResult, PaymentQueries, PaymentStatus
from app.payments.domain import Payment
from app.payments.tables import outbox, payment_history, payment_totals
from app.payments.tables import payments as payments_table

APPROVED = ChargeResult(PaymentStatus.APPROVED)
DECLINED = ChargeResult(PaymentStatus.DECLINED, "card_declined")
DEADLINE_S = 1800


class FakeProvider:
    """Answers every charge with `answer` (None: never answers), or raises `error` (the call broke off),
    and records every call, from any thread; `during_charge` runs inside the next charge (something
    landing while the provider works)."""

    def __init__(self, answer: ChargeResult | None = APPROVED, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.during_charge: Callable[[], object] | None = None
        self.charges: list[tuple[uuid.UUID, uuid.UUID]] = []  # (payment id, order id)
        self.refunds: list[uuid.UUID] = []
        self._lock = threading.Lock()

    def charge(self, batch: Sequence[Payment]) -> dict[uuid.UUID, ChargeResult | None]:
        with self._lock:
            self.charges.extend((payment.id, payment.order_id) for payment in batch)
            hook, self.during_charge = self.during_charge, None
        if hook is not None:
            hook()
        if self.error is not None:
            raise self.error
        return {payment.id: self.answer for payment in batch}

    def refund(self, batch: Sequence[Payment]) -> None:
        with self._lock:
            self.refunds.extend(payment.id for payment in batch)

    def charged(self) -> set[uuid.UUID]:
        """The payment ids money may have been taken for."""
        return {payment_id for payment_id, _ in self.charges}


def build(engine: Engine, provider: FakeProvider) -> payments.Payments:
    """The module as a payments worker builds it (each call: one more worker process)."""
    return payments.build(engine, provider, deadline_s=DEADLINE_S)


def deliver(module: payments.Payments, *batch: Incoming[Any]) -> frozenset[uuid.UUID]:
    """One batch through the module's handler (both event types map to the same batch handler)."""
    return module.handlers[OrderCreated](list(batch))


def status_of(engine: Engine, order_id: uuid.UUID) -> tuple[str, str | None]:
    view = PaymentQueries(engine).for_order(order_id)
    assert view is not None, f"order {order_id} has no payment"
    return view.status.value, view.reason


def payment_id_of(engine: Engine, order_id: uuid.UUID) -> uuid.UUID:
    view = PaymentQueries(engine).for_order(order_id)
    assert view is not None, f"order {order_id} has no payment"
    return view.id


def events_of(engine: Engine, order_id: uuid.UUID) -> list[tuple[str, str]]:
    """(event type, correlation id) of the outbox rows about this order, in relay order."""
    query = select(outbox.c.event_type, outbox.c.correlation_id).where(outbox.c.body.contains(str(order_id)))
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query.order_by(outbox.c.seq))]


def history_reasons(engine: Engine, order_id: uuid.UUID) -> list[str | None]:
    ours = select(payments_table.c.id).where(payments_table.c.order_id == order_id).scalar_subquery()
    query = select(payment_history.c.reason).where(payment_history.c.payment_id == ours)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(payment_history.c.id)).scalars())


def backdate(engine: Engine, order_ids: list[uuid.UUID], seconds: int) -> None:
    """Make these payments look unchanged for `seconds` (the sweeper measures from updated_at)."""
    earlier = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    with engine.begin() as conn:
        conn.execute(
            update(payments_table).where(payments_table.c.order_id.in_(order_ids)).values(updated_at=earlier)
        )


def summed(engine: Engine) -> dict[str, tuple[int, Decimal]]:
    """Status -> (count, amount) of the trigger-kept payment_totals (empty statuses left out)."""
    totals = payment_totals.c
    with engine.connect() as conn:
        rows = conn.execute(select(totals.status, totals.n, totals.amount))
        return {status: (n, amount) for status, n, amount in rows if n}


def ground_truth(engine: Engine) -> dict[str, tuple[int, Decimal]]:
    """Status -> (count, amount) by GROUP BY over the payments themselves."""
    table = payments_table.c
    query = select(table.status, func.count(), func.sum(table.amount)).group_by(table.status)
    with engine.connect() as conn:
        return {status: (n, amount) for status, n, amount in conn.execute(query)}
