"""Which database errors are worth retrying: lost connections, serialization failures, deadlocks."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes and codes that say "try again", not "this can never work".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"}
_RETRYABLE_CLASSES = ("08",)


def is_transient(exc: BaseException) -> bool:
    """True when the failure comes from the database being unreachable or busy, not from the data."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or (isinstance(exc, OperationalError) and _sqlstate(exc) is None):
            return True
        code = _sqlstate(exc)
        return code is not None and (code in _RETRYABLE_SQLSTATES or code.startswith(_RETRYABLE_CLASSES))
    return isinstance(exc, ConnectionError | TimeoutError)


def _sqlstate(exc: DBAPIError) -> str | None:
    code = getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else None
