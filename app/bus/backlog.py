"""The outbox backlog of a schema: how many events wait for the relay and how long the oldest has waited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, extract, func, select

from app.persistence import outbox_table


@dataclass(frozen=True)
class OutboxBacklog:
    """Unpublished events of one schema's outbox; `oldest_age_s` is None when there are none."""

    schema: str
    unpublished: int
    oldest_age_s: float | None


def outbox_backlog(engine: Engine, schema: str) -> OutboxBacklog:
    """Count the rows the relay has not published yet and the age of the oldest, by the database clock."""
    table = outbox_table(MetaData(schema=schema))
    oldest = func.min(table.c.created_at)
    query = select(func.count(), extract("epoch", func.now() - oldest)).where(table.c.published_at.is_(None))
    with engine.connect() as conn:
        count, age = conn.execute(query).one()
    return OutboxBacklog(schema, int(count), None if age is None else float(age))
