"""The orders read side: plain frozen views for the gateway and operators, never rows or ORM objects."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, bindparam, func, select

from app.orders.domain import OrderStatus
from app.orders.tables import order_counts, order_history, orders
from app.persistence import (
    Change,
    Connects,
    Page,
    Position,
    newest_first,
    page_parameters,
    read_history,
    read_one,
    read_page,
    read_with_retry,
)


@dataclass(frozen=True)
class OrderView:
    id: uuid.UUID
    user_id: uuid.UUID
    total: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime


class OrderQueries:
    """Reads on the engine given (in the gateway, its read router); each call takes its own connection."""

    def __init__(self, engine: Connects) -> None:
        self._engine = engine

    def get(self, order_id: uuid.UUID) -> OrderView | None:
        return read_one(self._engine, orders, "id", order_id, _view)

    def history(self, order_id: uuid.UUID) -> list[Change]:
        """Every change of the order's status, oldest first."""
        return read_history(self._engine, order_history, "order_id", order_id)

    def page(
        self,
        *,
        limit: int,
        page: int = 1,
        after: Position | None = None,
        status: OrderStatus | None = None,
        user_id: uuid.UUID | None = None,
    ) -> Page[OrderView]:
        """Newest first, by page number or after a position. The total comes from order_counts, or for
        one user from count(*) on ix_orders_user_created."""
        params = {"status": status, "user_id": user_id} | page_parameters(page, limit, after)
        listing = _listing(status is not None, user_id is not None, after is not None)
        return read_page(self._engine, listing, params, _view)

    def statuses(self, since: datetime | None = None) -> list[tuple[uuid.UUID, OrderStatus, datetime]]:
        """(id, status, last change) of every order, or of those created at or after `since`."""
        query = select(orders.c.id, orders.c.status, orders.c.updated_at)
        if since is not None:
            query = query.where(orders.c.created_at >= since)
        rows = read_with_retry(self._engine, lambda conn: conn.execute(query).all())
        return [(row.id, OrderStatus(row.status), row.updated_at) for row in rows]


@functools.cache
def _listing(by_status: bool, by_user: bool, keyset: bool) -> tuple[Select[Any], Select[Any]]:
    """The page and its count for one combination of filters and paging, built once with bound parameters."""
    status = bindparam("status", type_=orders.c.status.type)
    matching = [orders.c.status == status] if by_status else []
    if by_user:
        matching.append(orders.c.user_id == bindparam("user_id", type_=orders.c.user_id.type))
        counted = select(func.count()).select_from(orders).where(*matching)
    else:
        by_counted_status = [order_counts.c.status == status] if by_status else []
        counted = select(func.coalesce(func.sum(order_counts.c.n), 0)).where(*by_counted_status)
    return newest_first(orders, matching, counted, keyset=keyset), counted


def _view(row: RowMapping) -> OrderView:
    fields = {name: row[name] for name in OrderView.__dataclass_fields__}
    return OrderView(**fields | {"status": OrderStatus(row["status"])})
