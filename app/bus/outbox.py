"""Looking after an outbox table from outside its relay: its backlog, purging it, re-publishing from it."""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, extract, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.bus.metrics import OUTBOX_OLDEST_AGE, OUTBOX_UNPUBLISHED
from app.persistence import is_transient, purge_older

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxBacklog:
    """Unpublished events of one schema's outbox; `oldest_age_s` is None when there are none."""

    schema: str
    unpublished: int
    oldest_age_s: float | None


def outbox_backlog(engine: Engine, table: Table) -> OutboxBacklog:
    """Count the rows the relay has not published yet and the age of the oldest, by the database clock."""
    oldest = func.min(table.c.created_at)
    query = select(func.count(), extract("epoch", func.now() - oldest)).where(table.c.published_at.is_(None))
    with engine.connect() as conn:
        count, age = conn.execute(query).one()
    return OutboxBacklog(str(table.schema), int(count), None if age is None else float(age))


def refresh_outbox_gauges(engine: Engine, table: Table) -> None:
    """Set the backlog gauges of the table's schema (run periodically); an outage is only logged."""
    try:
        backlog = outbox_backlog(engine, table)
    except SQLAlchemyError as exc:
        if not is_transient(exc):
            raise
        # Readiness reports the outage; a traceback every few seconds would only bury it.
        log.warning(
            "outbox gauges of %s not refreshed: database unavailable (%s)", table.schema, type(exc).__name__
        )
        return
    OUTBOX_UNPUBLISHED.labels(backlog.schema).set(backlog.unpublished)
    OUTBOX_OLDEST_AGE.labels(backlog.schema).set(backlog.oldest_age_s or 0.0)


def purge_published(engine: Engine, table: Table, older_than_h: int) -> int:
    return purge_older(engine, table.c.published_at, older_than_h)


def mark_for_republish(
    engine: Engine,
    table: Table,
    *,
    event_ids: Iterable[uuid.UUID | str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Clear `published_at` of the chosen published rows (by id and/or creation time in [since, until))
    so the relays send them again within their idle wait; consumers deduplicate. The number of rows marked.
    Rows without a body (gateway commands older than gateway_0002) cannot be sent again."""
    statement = update(table).where(table.c.published_at.is_not(None), table.c.body.is_not(None))
    if event_ids is not None:
        statement = statement.where(table.c.event_id.in_([uuid.UUID(str(e)) for e in event_ids]))
    if since is not None:
        statement = statement.where(table.c.created_at >= since)
    if until is not None:
        statement = statement.where(table.c.created_at < until)
    with engine.begin() as conn:
        return int(conn.execute(statement.values(published_at=None)).rowcount)


def absent_events(engine: Engine, table: Table, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The ids of `event_ids` this outbox does not hold: never written there, or purged since."""
    wanted = set(event_ids)
    query = select(table.c.event_id).where(table.c.event_id.in_(wanted))
    with engine.connect() as conn:
        return wanted - set(conn.execute(query).scalars())
