"""What reconciliation needs from the orders module: each order's id, status and last change, as tuples."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, select

from app.orders.tables import orders


def order_statuses(
    conn: Connection, since: datetime | None = None
) -> Iterator[tuple[uuid.UUID, str, datetime]]:
    """(order id, status, updated_at) of every order, or of those created at or after `since`."""
    query = select(orders.c.id, orders.c.status, orders.c.updated_at)
    if since is not None:
        query = query.where(orders.c.created_at >= since)
    yield from ((row.id, row.status, row.updated_at) for row in conn.execute(query))
