"""The command store on PostgreSQL: each command and the event it emits, one row, one statement."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.dialects.postgresql import insert

from app.contracts import Envelope
from app.gateway.commands import CREATE_ORDER, Command
from app.gateway.tables import KEY_IS_UNIQUE, commands

# A concurrent insert with the same key blocks on the unique index until the first commits; DO NOTHING
# then returns no row and the SELECT by key that follows sees the winner.
_RECORDING = (
    insert(commands)
    .on_conflict_do_nothing(index_elements=["api_key_id", "idempotency_key"], index_where=KEY_IS_UNIQUE)
    .returning(commands.c.id)
)
# The command under a key; of two commands from before gateway_0005 sharing it, the one of this request.
_BY_KEY = (
    select(*(commands.c[field.name] for field in fields(Command)))
    .where(commands.c.api_key_id == bindparam("api_key_id"), commands.c.idempotency_key == bindparam("key"))
    .order_by((commands.c.request_hash == bindparam("request_hash")).desc(), commands.c.seq)
    .limit(1)
)


@dataclass(frozen=True)
class CommandRecord:
    """An accepted command as an operator reads it: who sent it, what it answered, when its event left."""

    created_at: datetime
    kind: str
    response_status: int
    idempotency_key: str | None
    api_key_id: str
    correlation_id: str | None
    event_type: str | None
    event_id: uuid.UUID | None
    published_at: datetime | None


class SqlCommandStore:
    """CommandStore on PostgreSQL, on an engine in autocommit mode: each call is one statement, and
    PostgreSQL runs a single statement atomically. `written` is called once a new command is committed
    (the process's relay publishes its event)."""

    def __init__(self, engine: Engine, written: Callable[[], None] = lambda: None) -> None:
        self._engine, self._written = engine, written

    def record(self, command: Command, event: Envelope) -> Command:
        values = vars(command) | {"event_id": event.id, "event_type": event.type, "body": event.to_json()}
        # Accepted at the event's time, the instant orders lists the order under: reconcile --since then
        # selects the same orders from both sides.
        values |= {"correlation_id": event.correlation_id, "created_at": event.occurred_at}
        with self._engine.connect() as conn:
            while True:  # once, unless the command holding the key is purged between the two statements
                if conn.execute(_RECORDING, values).first():
                    self._written()
                    return command
                scope = {"api_key_id": command.api_key_id, "key": command.idempotency_key}
                if earlier := conn.execute(_BY_KEY, scope | {"request_hash": command.request_hash}).first():
                    return Command(*earlier)

    def find(self, idempotency_key: str, api_key_id: str, request_hash: str | None) -> Command | None:
        scope = {"api_key_id": api_key_id, "key": idempotency_key, "request_hash": request_hash}
        with self._engine.connect() as conn:
            row = conn.execute(_BY_KEY, scope).first()
        return None if row is None else Command(*row)

    def order_was_accepted(self, order_id: uuid.UUID) -> bool:
        query = select(commands.c.id).where(commands.c.order_id == order_id, commands.c.kind == CREATE_ORDER)
        with self._engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def commands_for(self, order_id: uuid.UUID) -> list[CommandRecord]:
        """Every command accepted for the order and still kept, in the order they were accepted."""
        columns = (commands.c[name] for name in CommandRecord.__dataclass_fields__)
        query = select(*columns).where(commands.c.order_id == order_id).order_by(commands.c.seq)
        with self._engine.connect() as conn:
            return [CommandRecord(*row) for row in conn.execute(query)]

    def accepted_orders(self) -> dict[uuid.UUID, datetime]:
        """Order id -> acceptance time of every create command still kept (they are purged with the
        published events)."""
        query = select(commands.c.order_id, commands.c.created_at).where(commands.c.kind == CREATE_ORDER)
        with self._engine.connect() as conn:
            return {row.order_id: row.created_at for row in conn.execute(query)}
