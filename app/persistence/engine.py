"""SQLAlchemy engines tuned for this system: short connect timeout, pre-ping, optional statement timeout."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url


def build_engine(
    url: str,
    *,
    application_name: str,
    connect_timeout_s: int = 2,
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
    pool_timeout_s: float | None = None,
) -> Engine:
    """An engine whose connections fail fast when PostgreSQL is away and name their process.

    `pool_timeout_s` is how long a caller waits for a free pooled connection (default: twice the
    connect timeout). Workers wait longer: their handler threads outnumber the pool by design.
    """
    options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
    return create_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
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
