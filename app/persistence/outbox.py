"""The transactional outbox: events written with the state change, relayed to the broker afterwards."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import UUID

from app.contracts import Envelope


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
    """Insert the events and wake the relays when the surrounding transaction commits."""
    rows = [
        {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "correlation_id": envelope.correlation_id,
            "body": envelope.to_json(),
        }
        for envelope in envelopes
    ]
    if not rows:
        return
    conn.execute(table.insert(), rows)
    conn.execute(select(func.pg_notify(notify_channel(str(table.schema)), "")))
