"""Which database errors are worth retrying: lost connections, serialization failures, deadlocks."""

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes and codes that say "try again", not "this can never work".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"}
_RETRYABLE_CLASSES = ("08",)
_QUERY_CANCELED = "57014"  # statement_timeout: the database is too busy to answer in time


def is_transient(exc: BaseException) -> bool:
    """True when the failure comes from the database being unreachable or busy, not from the data."""
    if not isinstance(exc, DBAPIError):
        return isinstance(exc, PoolTimeout | ConnectionError | TimeoutError)
    code = _sqlstate(exc)
    if code is None:  # no SQLSTATE: the connection failed, not the statement
        return exc.connection_invalidated or isinstance(exc, OperationalError)
    return exc.connection_invalidated or code in _RETRYABLE_SQLSTATES or code.startswith(_RETRYABLE_CLASSES)


def is_statement_timeout(exc: BaseException) -> bool:
    """True when the statement was cancelled (its timeout, or the watchdog): the database was too busy."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) == _QUERY_CANCELED


def is_unavailable(exc: BaseException) -> bool:
    """True when a request should get "retry later": transient, or cancelled by the statement timeout."""
    if not isinstance(exc, SQLAlchemyError):
        return False
    return is_transient(exc) or is_statement_timeout(exc)


def _sqlstate(exc: DBAPIError) -> str | None:
    code = getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else None
