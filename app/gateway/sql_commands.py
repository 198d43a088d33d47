"""The gateway's own tables (commands and outbox in schema `gateway`) and the SQL command store."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Row,
    Select,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import CHAR, JSONB, UUID, insert

from app.contracts import Envelope
from app.gateway.ports import Command
from app.persistence import (
    Prepared,
    autocommit_connection,
    event_params,
    events_appended_after,
    outbox_table,
    relay_wakeup,
)

metadata = MetaData(schema="gateway")

commands = Table(
    "commands",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("idempotency_key", String(255)),
    Column("request_hash", CHAR(64), nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_body", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("kind IN ('create_order', 'cancel_order')", name="ck_commands_kind"),
    # NULL keys are distinct in PostgreSQL, so commands sent without a key never collide.
    UniqueConstraint("kind", "idempotency_key", name="uq_commands_kind_idempotency_key"),
    Index("ix_commands_order_id", "order_id"),
    Index("ix_commands_created_at", "created_at"),
)

outbox = outbox_table(metadata)


class SqlCommandStore:
    """CommandStore on PostgreSQL: the command row and its outbox events commit in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, command: Command, events: Sequence[Envelope]) -> Command:
        # One statement in autocommit, so one round trip: PostgreSQL runs it atomically by itself.
        # A concurrent insert with the same key blocks on the unique index until the first commits;
        # DO NOTHING then returns no row (and appends no event) and the SELECT below sees the winner.
        with autocommit_connection(self._engine) as conn:
            parameters = {**_row(command), **event_params(events)}
            if _recording(len(events)).run(conn, parameters).first() is not None:
                return command
            earlier = conn.execute(_by_key(command.kind, command.idempotency_key)).one()
        return _command(earlier)

    def find(self, kind: str, idempotency_key: str) -> Command | None:
        with self._engine.connect() as conn:
            row = conn.execute(_by_key(kind, idempotency_key)).first()
        return None if row is None else _command(row)

    def order_was_accepted(self, order_id: uuid.UUID) -> bool:
        query = select(commands.c.id).where(
            commands.c.order_id == order_id, commands.c.kind == "create_order"
        )
        with self._engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None


def purge_idempotency_keys(engine: Engine, older_than_h: int) -> int:
    """Delete command rows (and their idempotency keys) older than `older_than_h` hours; return the count."""
    cutoff = func.now() - text("make_interval(hours => :hours)").bindparams(hours=older_than_h)
    with engine.begin() as conn:
        return conn.execute(commands.delete().where(commands.c.created_at < cutoff)).rowcount


@functools.cache
def _recording(event_count: int) -> Prepared:
    """INSERT the command unless its key exists, its events only if it was inserted, and wake the relays.

    Built once per number of events and prepared once per session: building it for every request cost
    CPU, and planning it for every request cost the database a third of the statement's time.
    """
    values = {name: bindparam(name, type_=commands.c[name].type) for name in _RECORDED}
    recorded = (
        insert(commands)
        .values(values)
        .on_conflict_do_nothing(index_elements=["kind", "idempotency_key"])
        .returning(commands.c.id)
        .cte("recorded")
    )
    statement = select(recorded.c.id, relay_wakeup(outbox))
    if event_count:
        statement = statement.add_cte(events_appended_after(outbox, event_count, recorded))
    return Prepared(f"payflow_gateway_record_{event_count}_events", statement)


def _by_key(kind: str, key: str | None) -> Select[Any]:
    return select(commands).where(commands.c.kind == kind, commands.c.idempotency_key == key)


_RECORDED = ("id", "kind", "order_id", "idempotency_key", "request_hash", "response_status", "response_body")


def _row(command: Command) -> dict[str, object]:
    return {
        "id": command.id,
        "kind": command.kind,
        "order_id": command.order_id,
        "idempotency_key": command.idempotency_key,
        "request_hash": command.request_hash,
        "response_status": command.response_status,
        "response_body": command.response_body,
    }


def _command(row: Row[Any]) -> Command:
    m = row._mapping
    return Command(
        m["id"],
        m["kind"],
        m["order_id"],
        m["idempotency_key"],
        m["request_hash"],
        m["response_status"],
        m["response_body"],
    )
