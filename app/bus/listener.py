"""A dedicated PostgreSQL connection that LISTENs on an outbox channel so the relay wakes on commit."""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine


class OutboxListener:
    """Opened lazily; when it cannot be opened the relay falls back to polling once a second."""

    def __init__(self, engine: Engine, channel: str) -> None:
        self._engine = engine
        self._channel = channel
        self._dbapi: Any = None

    def open(self) -> None:
        if self._dbapi is not None:
            return
        pooled = self._engine.raw_connection()
        dbapi: Any = pooled.driver_connection
        pooled.detach()  # a long-lived LISTEN connection must not go back to the pool
        dbapi.autocommit = True
        with dbapi.cursor() as cursor:
            cursor.execute(f'LISTEN "{self._channel}"')
        self._dbapi = dbapi

    def wait(self, timeout_s: float) -> None:
        """Return when a NOTIFY arrived or after `timeout_s`; a broken connection raises."""
        if self._dbapi is None:
            select.select([], [], [], timeout_s)
            return
        readable, _, _ = select.select([self._dbapi], [], [], timeout_s)
        if readable:
            self._dbapi.poll()
            self._dbapi.notifies.clear()

    def close(self) -> None:
        dbapi, self._dbapi = self._dbapi, None
        if dbapi is not None and not dbapi.closed:
            dbapi.close()
