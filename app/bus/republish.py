"""Outbox maintenance: purge old published rows, and mark rows for re-publishing so consumers can catch up."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, MetaData, func, select, update

from app.persistence import notify_channel, outbox_table


def purge_published(engine: Engine, schema: str, older_than_h: int) -> int:
    """Delete rows published more than `older_than_h` hours ago; the number deleted."""
    table = outbox_table(MetaData(schema=schema))
    cutoff = func.now() - timedelta(hours=older_than_h)
    with engine.begin() as conn:
        result = conn.execute(table.delete().where(table.c.published_at < cutoff))
    return int(result.rowcount)


def mark_for_republish(
    engine: Engine,
    schema: str,
    *,
    event_ids: Iterable[uuid.UUID | str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Clear `published_at` of the chosen published rows (by id and/or creation time in [since, until))
    so the relay sends them again; consumers deduplicate. Wakes the relays; the number of rows marked."""
    table = outbox_table(MetaData(schema=schema))
    statement = update(table).where(table.c.published_at.is_not(None)).values(published_at=None)
    if event_ids is not None:
        statement = statement.where(table.c.event_id.in_([uuid.UUID(str(e)) for e in event_ids]))
    if since is not None:
        statement = statement.where(table.c.created_at >= since)
    if until is not None:
        statement = statement.where(table.c.created_at < until)
    with engine.begin() as conn:
        marked = int(conn.execute(statement).rowcount)
        conn.execute(select(func.pg_notify(notify_channel(schema), "")))
    return marked
