"""What reconciliation needs from the payments module: each payment's ids, status and last change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, select

from app.payments.tables import payments


def payment_statuses(
    conn: Connection, since: datetime | None = None
) -> Iterator[tuple[uuid.UUID, uuid.UUID, str, datetime]]:
    """(payment id, order id, status, updated_at) of every payment, or those created at or after `since`."""
    query = select(payments.c.id, payments.c.order_id, payments.c.status, payments.c.updated_at)
    if since is not None:
        query = query.where(payments.c.created_at >= since)
    yield from ((row.id, row.order_id, row.status, row.updated_at) for row in conn.execute(query))
