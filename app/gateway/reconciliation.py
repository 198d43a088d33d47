"""What reconciliation needs from the gateway: the orders it accepted (answered 202 for) and when."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, select

from app.gateway.sql_commands import commands


def accepted_orders(conn: Connection, since: datetime | None = None) -> Iterator[tuple[uuid.UUID, datetime]]:
    """(order id, accepted at) of every create command still kept, or of those accepted at or after `since`.

    Command rows are purged with their idempotency keys, so older orders are no longer listed here."""
    query = select(commands.c.order_id, commands.c.created_at).where(commands.c.kind == "create_order")
    if since is not None:
        query = query.where(commands.c.created_at >= since)
    yield from ((row.order_id, row.created_at) for row in conn.execute(query))
