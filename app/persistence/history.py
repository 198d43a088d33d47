"""A module's history table read back: each change of status, in order, with the event that caused it."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.persistence.engine import Connects, read_with_retry


@dataclass(frozen=True)
class Change:
    """One move of status (`from_status` None for the first), what caused it and why."""

    at: datetime
    from_status: str | None
    to_status: str
    event_type: str
    event_id: uuid.UUID | None
    reason: str | None


def read_history(engine: Connects, table: sa.Table, key: str, value: uuid.UUID) -> list[Change]:
    """Every row of `table` whose `key` column is `value`, oldest first (the order they were written)."""
    columns = [table.c[name] for name in Change.__dataclass_fields__]
    query = sa.select(*columns).where(table.c[key] == value).order_by(table.c.id)
    rows = read_with_retry(engine, lambda conn: conn.execute(query).all())
    return [Change(*row) for row in rows]
