"""The orders read side: plain frozen views for the gateway, never rows or ORM objects."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Integer, RowMapping, Select, bindparam, func, select

from app.orders.tables import order_counts, orders
from app.persistence import Prepared


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
    row = _by_id().run(conn, {"order_id": order_id}).mappings().first()
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
    listing, counted = _listing(status is not None, user_id is not None)
    params = {"status": status, "user_id": user_id}
    rows = conn.execute(listing, {**params, "limit": limit, "offset": (page - 1) * limit}).mappings().all()
    # The total rides along with the page (one round trip); an empty page asks for it alone.
    total = rows[0]["matching"] if rows else conn.execute(counted, params).scalar_one()
    return OrderPage(items=[_view(row) for row in rows], total=int(total))


@functools.cache
def _by_id() -> Prepared:
    """Prepared once per session: a primary-key lookup plans the same for every id."""
    order_id = bindparam("order_id", type_=orders.c.id.type)
    return Prepared("payflow_orders_by_id", select(*_COLUMNS).where(orders.c.id == order_id))


@functools.cache
def _listing(by_status: bool, by_user: bool) -> tuple[Select[Any], Select[Any]]:
    """The page and its count for one combination of filters, built once with bound parameters.

    Not PREPAREd: a generic plan would not know LIMIT and OFFSET and could trade the index walk for a
    scan and sort of the whole table; SQLAlchemy's statement cache still skips compiling it again.
    """
    status = bindparam("status", type_=orders.c.status.type)
    matching = [orders.c.status == status] if by_status else []
    if by_user:
        matching.append(orders.c.user_id == bindparam("user_id", type_=orders.c.user_id.type))
        counted = select(func.count()).select_from(orders).where(*matching)
    else:
        by_counted_status = [order_counts.c.status == status] if by_status else []
        counted = select(func.coalesce(func.sum(order_counts.c.n), 0)).where(*by_counted_status)
    listing = (
        select(*_COLUMNS, counted.scalar_subquery().label("matching"))
        .where(*matching)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
    )
    return listing, counted


def _view(row: RowMapping) -> OrderView:
    return OrderView(**{name: row[name] for name in _VIEW_FIELDS})
