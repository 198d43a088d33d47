"""The transactional outbox: events written with the state change, relayed to the broker afterwards."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID

from app.contracts import Envelope
from app.persistence.prepared import Prepared

_COLUMNS = ("event_id", "event_type", "correlation_id", "body")


def outbox_table(metadata: MetaData) -> Table:
    """The `outbox` table in the metadata's schema; `published_at` is NULL until the relay confirms."""
    table = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("correlation_id", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
    )
    Index(
        f"ix_{metadata.schema}_outbox_unpublished",
        table.c.seq,
        postgresql_where=table.c.published_at.is_(None),
    )
    Index(f"ix_{metadata.schema}_outbox_created_at", table.c.created_at)
    return table


def notify_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes relays of this schema's outbox."""
    return f"outbox_{schema}"


def append_events(conn: Connection, table: Table, envelopes: Iterable[Envelope]) -> None:
    """Insert the events and wake the relays when the surrounding transaction commits (one round trip)."""
    batch = list(envelopes)
    if batch:
        _appending(table, len(batch)).run(conn, event_params(batch))


@functools.cache
def _appending(table: Table, count: int) -> Prepared:
    """INSERT `count` events and NOTIFY the relays: prepared once per table and count."""
    statement = select(relay_wakeup(table)).add_cte(events_appended_after(table, count))
    return Prepared(f"payflow_{table.schema}_append_{count}_events", statement)


def events_appended_after(table: Table, count: int, guard: CTE | None = None) -> CTE:
    """A CTE inserting `count` events; with `guard`, once for each row it returns (none when it returns none).

    Lets a conditional write (an INSERT ... ON CONFLICT DO NOTHING RETURNING) and its events go to the
    database as one statement. The events are bound parameters, named as `event_params` names them, so
    the statement can be built once and reused.
    """
    if count < 1:
        raise ValueError("events_appended_after needs at least one event")
    columns = [table.c[name] for name in _COLUMNS]
    selects = [
        select(*(bindparam(f"{column.name}_{index}", type_=column.type) for column in columns))
        for index in range(count)
    ]
    if guard is not None:
        selects = [one.select_from(guard) for one in selects]
    rows = selects[0] if count == 1 else union_all(*selects)
    return insert(table).from_select(columns, rows).cte("appended")


def event_params(envelopes: Iterable[Envelope]) -> dict[str, Any]:
    """The parameters of an `events_appended_after` statement for these events."""
    return {
        f"{name}_{index}": value
        for index, envelope in enumerate(envelopes)
        for name, value in _row(envelope).items()
    }


def relay_wakeup(table: Table) -> ColumnElement[Any]:
    """`pg_notify` of the table's relay channel, delivered when the transaction commits."""
    return func.pg_notify(notify_channel(str(table.schema)), "")


def _row(envelope: Envelope) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "correlation_id": envelope.correlation_id,
        "body": envelope.to_json(),
    }
