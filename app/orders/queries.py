"""The orders read side: plain frozen views for the gateway, never rows or ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, func, select

from app.orders.tables import order_counts, orders


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
    """Orders newest first (ties broken by id, descending), `limit` per page, pages counted from 1.

    The page walks the (status | user_id, created_at, id) index matching the filter and stops after
    OFFSET + LIMIT entries: the first pages cost the same on any table size, a deep page O(offset).
    The total comes from the trigger-maintained order_counts (a sum over its shards) unless a user is
    given: then count(*) reads only that user's range of ix_orders_user_created.
    """
    matching = _conditions(status, user_id)
    counted = _count(status, user_id, matching)
    listing = (
        select(*_COLUMNS, counted.scalar_subquery().label("matching"))
        .where(*matching)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
    )
    rows = conn.execute(listing.limit(limit).offset((page - 1) * limit)).mappings().all()
    # The total rides along with the page (one round trip); an empty page asks for it alone.
    total = rows[0]["matching"] if rows else conn.execute(counted).scalar_one()
    return OrderPage(items=[_view(row) for row in rows], total=int(total))


def _count(status: str | None, user_id: uuid.UUID | None, matching: list[ColumnElement[bool]]) -> Select[Any]:
    if user_id is not None:
        return select(func.count()).select_from(orders).where(*matching)
    by_status = [] if status is None else [order_counts.c.status == status]
    return select(func.coalesce(func.sum(order_counts.c.n), 0)).where(*by_status)


def _conditions(status: str | None, user_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    conditions = []
    if status is not None:
        conditions.append(orders.c.status == status)
    if user_id is not None:
        conditions.append(orders.c.user_id == user_id)
    return conditions


def _view(row: RowMapping) -> OrderView:
    return OrderView(**{name: row[name] for name in _VIEW_FIELDS})
