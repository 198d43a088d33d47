"""The orders read side: plain frozen views for the gateway, never rows or ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, RowMapping, func, select

from app.orders.tables import orders


@dataclass(frozen=True)
class OrderView:
    """One order as readers see it."""

    id: uuid.UUID
    user_id: uuid.UUID
    total: Decimal
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrderPage:
    """One page of orders and how many match in all."""

    items: list[OrderView]
    total: int


_VIEW_FIELDS = ("id", "user_id", "total", "status", "created_at", "updated_at")
_COLUMNS = [orders.c[name] for name in _VIEW_FIELDS]


def get_order(conn: Connection, order_id: uuid.UUID) -> OrderView | None:
    """The order with this id, or None."""
    row = conn.execute(select(*_COLUMNS).where(orders.c.id == order_id)).mappings().first()
    return None if row is None else _view(row)


def list_orders(
    conn: Connection, *, page: int, limit: int, status: str | None = None, user_id: uuid.UUID | None = None
) -> OrderPage:
    """Orders newest first (ties broken by id, descending), `limit` per page, pages counted from 1."""
    matching = _conditions(status, user_id)
    listing = select(*_COLUMNS).where(*matching).order_by(orders.c.created_at.desc(), orders.c.id.desc())
    rows = conn.execute(listing.limit(limit).offset((page - 1) * limit)).mappings().all()
    total = conn.execute(select(func.count()).select_from(orders).where(*matching)).scalar_one()
    return OrderPage(items=[_view(row) for row in rows], total=total)


def _conditions(status: str | None, user_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    conditions = []
    if status is not None:
        conditions.append(orders.c.status == status)
    if user_id is not None:
        conditions.append(orders.c.user_id == user_id)
    return conditions


def _view(row: RowMapping) -> OrderView:
    return OrderView(**{name: row[name] for name in _VIEW_FIELDS})
