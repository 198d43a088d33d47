"""The payments read side: plain frozen views and per-status totals, never rows or ORM objects."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, RowMapping, bindparam, func, select

from app.payments.domain import PaymentStatus
from app.payments.tables import payment_totals, payments
from app.persistence import Prepared


@dataclass(frozen=True)
class PaymentView:
    """One payment as readers see it; `reason` says why it was declined, failed or cancelled."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    status: str
    reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PaymentPage:
    """One page of payments and how many match in all."""

    items: list[PaymentView]
    total: int


@dataclass(frozen=True)
class StatusTotal:
    """How many payments are in a status and how much money they hold."""

    status: str
    count: int
    total_amount: Decimal


_VIEW_FIELDS = ("id", "order_id", "amount", "status", "reason", "created_at", "updated_at")
_COLUMNS = [payments.c[name] for name in _VIEW_FIELDS]


def get_payment(conn: Connection, payment_id: uuid.UUID) -> PaymentView | None:
    """The payment with this id, or None."""
    return _one(conn, "id", payment_id)


def get_payment_for_order(conn: Connection, order_id: uuid.UUID) -> PaymentView | None:
    """The one payment of this order, or None."""
    return _one(conn, "order_id", order_id)


def list_payments(conn: Connection, *, page: int, limit: int, status: str | None = None) -> PaymentPage:
    """Payments newest first (ties broken by id, descending), `limit` per page, pages counted from 1.

    The page walks the (status, created_at, id) or (created_at, id) index and stops after OFFSET + LIMIT
    entries (a deep page costs O(offset)); the total comes from the trigger-maintained payment_totals.
    """
    matching = [] if status is None else [payments.c.status == status]
    by_status = [] if status is None else [payment_totals.c.status == status]
    counted = select(func.coalesce(func.sum(payment_totals.c.n), 0)).where(*by_status)
    listing = (
        select(*_COLUMNS, counted.scalar_subquery().label("matching"))
        .where(*matching)
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
    )
    rows = conn.execute(listing.limit(limit).offset((page - 1) * limit)).mappings().all()
    # The total rides along with the page (one round trip); an empty page asks for it alone.
    total = rows[0]["matching"] if rows else conn.execute(counted).scalar_one()
    return PaymentPage(items=[_view(row) for row in rows], total=int(total))


def payment_stats(conn: Connection) -> list[StatusTotal]:
    """Count and amount for every status, in the enum's order (zero for statuses nobody is in).

    Summed over the shards of the trigger-maintained payment_totals: a few dozen rows, whatever the
    number of payments.
    """
    found = {row[0]: (int(row[1]), Decimal(row[2])) for row in _grouped_totals().run(conn, {})}
    zero = (0, Decimal("0.00"))
    return [StatusTotal(status.value, *found.get(status.value, zero)) for status in PaymentStatus]


def _one(conn: Connection, column: str, key: uuid.UUID) -> PaymentView | None:
    row = _by(column).run(conn, {"key": key}).mappings().first()
    return None if row is None else _view(row)


@functools.cache
def _by(column: str) -> Prepared:
    """A lookup by a unique column, prepared once per session (it plans the same for every key)."""
    key = bindparam("key", type_=payments.c[column].type)
    return Prepared(f"payflow_payments_by_{column}", select(*_COLUMNS).where(payments.c[column] == key))


@functools.cache
def _grouped_totals() -> Prepared:
    totals = payment_totals.c
    grouped = select(totals.status, func.sum(totals.n), func.sum(totals.amount)).group_by(totals.status)
    return Prepared("payflow_payments_totals", grouped)


def _view(row: RowMapping) -> PaymentView:
    return PaymentView(**{name: row[name] for name in _VIEW_FIELDS})
