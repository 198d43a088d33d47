"""The inbox: event ids a module has applied, recorded in the same transaction as the effect."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.sql.dml import ReturningInsert


def inbox_table(metadata: MetaData) -> Table:
    """The `processed_events` table in the metadata's schema."""
    return Table(
        "processed_events",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def claim_event(conn: Connection, table: Table, event_id: uuid.UUID, event_type: str) -> bool:
    """Record the event as applied; False when it already was (a duplicate or a replay)."""
    return (
        conn.execute(_claiming(table), {"event_id": event_id, "event_type": event_type}).first() is not None
    )


@functools.cache
def _claiming(table: Table) -> ReturningInsert[Any]:
    return claim_statement(table)


def claim_statement(table: Table, only_if: CTE | None = None) -> ReturningInsert[Any]:
    """INSERT the event (bound as `event_id`, `event_type`) unless the inbox has it, RETURNING its id:
    a row when this claim is the first. With `only_if`, nothing is claimed unless that CTE has a row."""
    event = select(
        bindparam("event_id", type_=table.c.event_id.type),
        bindparam("event_type", type_=table.c.event_type.type),
    )
    if only_if is not None:
        event = event.where(exists(only_if.select()))
    return (
        insert(table)
        .from_select(["event_id", "event_type"], event)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
