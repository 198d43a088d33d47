"""A cheap probe of PostgreSQL for readiness checks, with secrets kept out of the answer."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError


def database_problem(engine: Engine) -> str | None:
    """None when a `SELECT 1` succeeds, else a one-line reason without the connection URL."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}"
    return None
