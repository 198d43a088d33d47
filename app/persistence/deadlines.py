"""Client-side statement deadlines: a statement whose server stopped answering is cut off, not waited on."""

import logging
import os
import socket
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)
MARGIN_S = 1.0  # beyond the server's own statement timeout: the server gets its chance to answer first


class StatementDeadlines:
    """Shuts down the connection of any statement running `MARGIN_S` past the server's own timeout. That
    timeout ends a slow statement; it cannot end one whose server hangs (frozen, or behind a
    network that silently drops packets), and gunicorn's gthread workers do not end a request thread that
    waits on it. Cut off, the statement fails as a lost connection: the connection is thrown away and the
    read is retried once (on the primary, once the replica's connect times out). `cut_overdue` does the
    cutting: run it every fraction of a second. Only the replica's engine is watched (see the README)."""

    CHECK_INTERVAL_S = 0.25

    def __init__(self, server_timeout_s: float) -> None:
        self.limit_s = server_timeout_s + MARGIN_S
        self._lock = threading.Lock()
        self._running: dict[int, tuple[Any, float]] = {}  # thread -> (its DBAPI connection, deadline)

    def watch(self, engine: sa.Engine) -> sa.Engine:
        event.listen(engine, "before_cursor_execute", self._started)
        event.listen(engine, "after_cursor_execute", self._ended)
        event.listen(engine, "handle_error", self._ended)
        return engine

    def cut_overdue(self) -> None:
        """Shut down the socket of every statement past its deadline."""
        now = time.monotonic()
        with self._lock:  # held while cutting: a statement still listed still runs on its connection
            overdue = [(thread, c) for thread, (c, deadline) in self._running.items() if deadline <= now]
            for thread, connection in overdue:
                del self._running[thread]
                if not connection.closed:  # else its socket number may belong to anything by now
                    _shut_down(connection.fileno())
        if overdue:
            log.warning("cut off %d statement(s) unanswered after %.1f s", len(overdue), self.limit_s)

    def _started(self, conn: sa.Connection, cursor: Any, *_: object) -> None:
        entry = (cursor.connection, time.monotonic() + self.limit_s)
        with self._lock:
            self._running[threading.get_ident()] = entry

    def _ended(self, *_: object) -> None:
        with self._lock:
            self._running.pop(threading.get_ident(), None)


def _shut_down(fd: int) -> None:
    """Both directions of the socket behind `fd`, through a duplicate (libpq still owns and closes `fd`)."""
    try:
        with socket.socket(fileno=os.dup(fd)) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError as exc:
        log.warning("could not cut off a statement's connection: %s", exc)
