"""SQLAlchemy engines that fail fast and name their process, and reads through them, retried once."""

import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.config.broker_nodes import SEPARATOR
from app.persistence.errors import is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")


def build_engine(
    url: str,
    *,
    application_name: str,
    connect_timeout_s: int = 2,
    dead_after_s: int = 10,
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
    pool_timeout_s: float | None = None,
    autocommit: bool = False,
) -> sa.Engine:
    """`autocommit` saves the BEGIN/ROLLBACK round trips of engines whose statements stand alone. No pre-ping
    per checkout: a connection that died in the pool fails one read (retried once), one write (503) or one
    batch (retried), and the first disconnect error invalidates the whole pool. A server lost
    on the way (host down, packets dropped) fails a statement within about `dead_after_s` (`lost_server`)."""
    options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
    return sa.create_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=connect_timeout_s * 2 if pool_timeout_s is None else pool_timeout_s,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
        connect_args={
            "connect_timeout": connect_timeout_s,
            "application_name": application_name,
            "options": options,
            **lost_server(dead_after_s),
        },
    )


def lost_server(dead_after_s: int) -> dict[str, int]:
    """libpq's TCP settings that notice a server gone without a word. By the kernel's defaults a statement
    sent to it is retransmitted for about 15 minutes, and one awaiting its answer waits over two hours for
    the first keepalive. Here a connection that has received nothing for `dead_after_s` while data or a
    keepalive (sent after half of it in silence) goes unacknowledged is cut (`tcp_user_timeout`; the
    keepalive count only matters where that option does not exist). A server that is only slow still
    acknowledges and answers keepalives from its kernel: its statements run on."""
    return {
        "keepalives": 1,
        "keepalives_idle": max(1, dead_after_s // 2),
        "keepalives_interval": max(1, dead_after_s // 4),
        "keepalives_count": 3,
        "tcp_user_timeout": dead_after_s * 1000,
    }


class Connects(Protocol):
    """What reads need of an engine: a new connection (an Engine, or a ReadRouter choosing the server)."""

    def connect(self) -> sa.Connection: ...


def read_with_retry(engine: Connects, query: Callable[[sa.Connection], T]) -> T:
    """`query(conn)`, tried once more after a dropped connection or an outage (the retry connects afresh)."""
    try:
        with engine.connect() as conn:
            return query(conn)
    except DBAPIError as exc:
        if not (exc.connection_invalidated or is_transient(exc)):
            raise
        log.warning("read failed on a dropped connection, retrying once: %s", type(exc.orig).__name__)
    with engine.connect() as conn:
        return query(conn)


def read_one(
    engine: Connects, table: sa.Table, column: str, key: Any, view: Callable[[sa.RowMapping], T]
) -> T | None:
    query = _by(table, column)
    row = read_with_retry(engine, lambda conn: conn.execute(query, {"key": key}).mappings().first())
    return None if row is None else view(row)


@functools.cache
def _by(table: sa.Table, column: str) -> sa.Select[Any]:
    return sa.select(*table.c).where(table.c[column] == sa.bindparam("key", type_=table.c[column].type))


def database_problem(engine: sa.Engine) -> str | None:
    """None when a `SELECT 1` succeeds, else a one-line reason without the connection URL."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}"
    return None


def normalize_url(url: str) -> str:
    """The URL with the psycopg2 driver named: a bare `postgresql://` would pick a driver not installed."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe for logs and error messages; each URL of a
    ';'-separated list (a broker's nodes) on its own."""
    if SEPARATOR in url:
        return SEPARATOR.join(redact_url(node) for node in url.split(SEPARATOR))
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.hostname or ''}{port}"))
    except ValueError:
        return "<unparsable url>"
