"""SQLAlchemy engines tuned for this system: short connect timeout, optional pre-ping, statement timeout."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url


def build_engine(
    url: str,
    *,
    application_name: str,
    connect_timeout_s: int = 2,
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
    pool_timeout_s: float | None = None,
    pre_ping: bool = True,
) -> Engine:
    """An engine whose connections fail fast when PostgreSQL is away and name their process.

    `pool_timeout_s` is how long a caller waits for a free pooled connection (default: twice the
    connect timeout). Workers wait longer: their handler threads outnumber the pool by design.
    `pre_ping=False` saves a round trip per checkout where a caller already copes with a connection
    that died in the pool (a retried read, a 503, a retried message): the first disconnect error
    invalidates the whole pool, so only the checkouts already under way see the dead connections.
    """
    options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
    return create_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=connect_timeout_s * 2 if pool_timeout_s is None else pool_timeout_s,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "application_name": application_name,
            "options": options,
        },
    )


def normalize_url(url: str) -> str:
    """The URL with the psycopg2 driver named: a bare `postgresql://` would pick a driver not installed."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def autocommit_connection(engine: Engine) -> Iterator[Connection]:
    """A pooled connection whose statements each commit by themselves: no BEGIN or COMMIT round trips.

    For one self-contained statement (PostgreSQL runs a single statement atomically). The driver's
    autocommit flag is flipped directly: SQLAlchemy's AUTOCOMMIT isolation level would cost a
    `SET default_transaction_isolation` round trip when the connection goes back to the pool.
    """
    with engine.connect() as conn:
        dbapi: Any = conn.connection.dbapi_connection
        dbapi.autocommit = True
        try:
            yield conn
        finally:
            if not dbapi.closed:
                dbapi.autocommit = False


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe for logs and error messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}{port}"))
    except ValueError:
        return "<unparsable url>"
