"""Running a read-side query on the gateway's engine, retried once when the connection dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.persistence import autocommit_connection, is_transient

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_read(engine: Engine, query: Callable[[Connection], T]) -> T:
    """`query(conn)` on a fresh pooled connection; a dropped connection or outage gets one more try
    (pre-ping and invalidation give the retry a new connection). A second failure reaches the error table."""
    try:
        return _once(engine, query)
    except DBAPIError as exc:
        if not (exc.connection_invalidated or is_transient(exc)):
            raise
        log.warning("read failed on a dropped connection, retrying once: %s", type(exc.orig).__name__)
    return _once(engine, query)


def _once(engine: Engine, query: Callable[[Connection], T]) -> T:
    # Autocommit: a read is one SELECT (consistent by itself), so no BEGIN and ROLLBACK round trips.
    with autocommit_connection(engine) as conn:
        return query(conn)
