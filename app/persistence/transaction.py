"""The transaction every SQL unit of work runs in: one connection, rolled back on exit unless committed."""

import functools
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

from sqlalchemy import BigInteger, Engine, Executable, Select, String, Table, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from app.persistence.messages import arrays, insert_batch

Rows = Sequence[Mapping[str, Any]]


class SqlTransaction:
    """Base of the SQL units of work (statements on `self._conn`); those sharing a `serial` never overlap."""

    # Advisory locks are database-wide: each module locks in a space of its own, never waiting on another.
    LOCK_SPACE = 0

    def __init__(self, engine: Engine, serial: "threading.Lock | None" = None) -> None:
        self._engine = engine
        self._serial = serial or threading.Lock()

    def __enter__(self) -> Self:
        self._serial.acquire()
        try:
            self._conn = self._engine.connect()
        except BaseException:
            self._serial.release()
            raise
        self._tx = self._conn.begin()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._conn.close()  # rolls back whatever was not committed
        finally:
            self._serial.release()

    def commit(self) -> None:
        self._tx.commit()

    def lock_orders(self, order_ids: Iterable[uuid.UUID]) -> None:
        """Wait for every other transaction about these orders to end, and hold them off until this one
        does (advisory locks, so an order that does not exist yet is locked too)."""
        self._conn.execute(_locking(), {"ids": sorted(set(order_ids)), "space": self.LOCK_SPACE}).all()

    def write_batch(self, statement: Executable, rows: Rows, names: Sequence[str]) -> int:
        """Run a `batch_of` statement on the rows (no round trip for none); how many rows it wrote."""
        return self._conn.execute(statement, arrays(rows, names)).rowcount if rows else 0

    def insert(self, table: Table, rows: Rows, names: tuple[str, ...], *stamped: str) -> None:
        self.write_batch(insert_batch(table, names, *stamped), rows, names)


@functools.cache
def _locking() -> Select[Any]:
    # In order id order, so transactions locking overlapping batches take the locks in one order.
    ids = func.unnest(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))).table_valued("id")
    locked = ids.render_derived(name="locked")
    key = func.hashtextextended(cast(locked.c.id, String()), bindparam("space", type_=BigInteger()))
    return select(func.pg_advisory_xact_lock(key)).select_from(locked).order_by(locked.c.id)
