"""Inbox (events applied) and outbox (events to publish), written with one array per column per statement."""

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.sql.selectable import TableValuedAlias

from app.contracts import Envelope, Incoming

_CLAIMED = ("event_id", "event_type")
_EVENT = ("event_id", "event_type", "correlation_id", "body")


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def purge_claims(engine: sa.Engine, schema: str, older_than_h: int, batch: int = 10_000) -> int:
    """Forget the events `schema`'s inbox claimed over `older_than_h` ago (deduplicated by state after)."""
    return purge_older(engine, inbox_table(sa.MetaData(schema=schema)).c.processed_at, older_than_h, batch)


def purge_older(engine: sa.Engine, stamp: sa.Column[Any], older_than_h: int, batch: int = 10_000) -> int:
    """Delete the rows of `stamp`'s table stamped over `older_than_h` ago, `batch` per transaction (each one
    short, locking little); how many."""
    [key] = stamp.table.primary_key.columns
    old = stamp < sa.func.now() - timedelta(hours=older_than_h)
    chosen = sa.delete(stamp.table).where(key.in_(sa.select(key).where(old).limit(batch)))
    purged = 0
    while True:
        with engine.begin() as conn:
            deleted = int(conn.execute(chosen).rowcount)
        purged += deleted
        if deleted < batch:
            return purged


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """A module's events waiting for its relay, in `seq` order; published rows are purged later."""
    table = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    unpublished = table.c.published_at.is_(None)
    sa.Index(f"ix_{metadata.schema}_outbox_unpublished", table.c.seq, postgresql_where=unpublished)
    sa.Index(f"ix_{metadata.schema}_outbox_created_at", table.c.created_at)
    return table


def claim_events(conn: sa.Connection, table: sa.Table, batch: Sequence[Incoming[Any]]) -> set[uuid.UUID]:
    """Record the events as applied; the ids claimed now (the others were applied before: duplicates).
    Sorted by id, so transactions claiming overlapping batches take the index locks in one order."""
    if not batch:
        return set()
    rows = [{"event_id": m.id, "event_type": m.type} for m in sorted(batch, key=lambda m: m.id)]
    return set(conn.execute(_claiming(table), arrays(rows, _CLAIMED)).scalars())


def append_events(conn: sa.Connection, table: sa.Table, envelopes: Sequence[Envelope]) -> None:
    """Insert the events in one statement; the relays wake when the surrounding transaction commits."""
    rows = (
        {"event_id": e.id, "event_type": e.type, "correlation_id": e.correlation_id, "body": e.to_json()}
        for e in envelopes
    )
    if envelopes:
        conn.execute(insert_batch(table, _EVENT), arrays(rows, _EVENT))


def batch_of(table: sa.Table, names: Sequence[str], **like: str) -> TableValuedAlias:
    """`unnest(:a::type[], :b::type[], ...) AS batch(a, b, ...)`, typed like `table`'s columns of those
    names (`like` maps a name that is not a column to the column whose type it has)."""
    # Bound as batch_<name>, not <name>: INSERT and UPDATE keep column names for their own values.
    columns = [sa.bindparam(f"batch_{n}", type_=ARRAY(table.c[like.get(n, n)].type)) for n in names]
    return sa.func.unnest(*columns).table_valued(*names).render_derived(name="batch")


@functools.cache
def insert_batch(table: sa.Table, names: tuple[str, ...], *stamped: str) -> sa.Insert:
    """INSERT the rows of `batch_of(table, names)`, the `stamped` columns set to clock_timestamp(): per row,
    in batch order (now() is one time for the whole transaction)."""
    values = sa.select(*batch_of(table, names).c, *[sa.func.clock_timestamp()] * len(stamped))
    return sa.insert(table).from_select([*names, *stamped], values)


def arrays(rows: Iterable[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """The parameters of a `batch_of` statement: one list per column, in row order."""
    listed = list(rows)
    return {f"batch_{name}": [row[name] for row in listed] for name in names}


def in_array(column: Any, name: str) -> sa.ColumnElement[bool]:
    """`column = ANY(:name)`, the array bound once whatever its length."""
    return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]


@functools.cache
def _claiming(table: sa.Table) -> sa.Insert:
    claimed = upsert(table).from_select(list(_CLAIMED), sa.select(*batch_of(table, _CLAIMED).c))
    return claimed.on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.event_id)
