"""The payments read side: plain frozen views and per-status totals, never rows or ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, RowMapping, func, select

from app.payments.domain import PaymentStatus
from app.payments.tables import payments


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
    return _one(conn, payments.c.id == payment_id)


def get_payment_for_order(conn: Connection, order_id: uuid.UUID) -> PaymentView | None:
    """The one payment of this order, or None."""
    return _one(conn, payments.c.order_id == order_id)


def list_payments(conn: Connection, *, page: int, limit: int, status: str | None = None) -> PaymentPage:
    """Payments newest first (ties broken by id, descending), `limit` per page, pages counted from 1."""
    matching = [] if status is None else [payments.c.status == status]
    listing = select(*_COLUMNS).where(*matching).order_by(payments.c.created_at.desc(), payments.c.id.desc())
    rows = conn.execute(listing.limit(limit).offset((page - 1) * limit)).mappings().all()
    total = conn.execute(select(func.count()).select_from(payments).where(*matching)).scalar_one()
    return PaymentPage(items=[_view(row) for row in rows], total=total)


def payment_stats(conn: Connection) -> list[StatusTotal]:
    """Count and amount for every status, in the enum's order (zero for statuses nobody is in)."""
    grouped = select(payments.c.status, func.count(), func.coalesce(func.sum(payments.c.amount), 0))
    found = {row[0]: (row[1], Decimal(row[2])) for row in conn.execute(grouped.group_by(payments.c.status))}
    zero = (0, Decimal("0.00"))
    return [StatusTotal(status.value, *found.get(status.value, zero)) for status in PaymentStatus]


def _one(conn: Connection, condition: ColumnElement[bool]) -> PaymentView | None:
    row = conn.execute(select(*_COLUMNS).where(condition)).mappings().first()
    return None if row is None else _view(row)


def _view(row: RowMapping) -> PaymentView:
    return PaymentView(**{name: row[name] for name in _VIEW_FIELDS})
