"""Hot statements PREPAREd once per database session and run with EXECUTE: planned once, not per call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import BindParameter, Connection, CursorResult, Dialect
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.exc import CompileError, DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NullType

_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_INFO_KEY = "payflow_prepared"
# The session and the pool record disagree about a name (it is gone: 26000, already there: 42P05), or
# the table changed under a prepared statement (0A000 "cached plan must not change result type").
_SESSION_OUT_OF_STEP = frozenset({"26000", "42P05", "0A000"})
_NO_PARAMETERS = {"no_parameters": True}  # psycopg2 must not %-format the PREPARE text

Processor = Callable[[Any], Any]


class Prepared:
    """A Core statement compiled once to `PREPARE name (types) AS ...` and run as `EXECUTE name(...)`.

    psycopg2 has no server-side prepared statements of its own, so every statement used to be parsed
    and planned anew: a third of PostgreSQL's time per statement in the benchmark went to planning.
    `EXECUTE` also skips SQLAlchemy's per-call compile-cache lookup. The connection's pool record
    remembers which names its session has prepared (PREPARE is not undone by a rollback; SQLAlchemy
    clears the record when the connection is closed, recycled or invalidated). A session behind a
    transaction-pooling proxy (PgBouncer in transaction mode) is not one session: not supported.

    The caller passes a value for every `bindparam` declared without one on every run; the statement's
    literal values are constants kept with it. Values go through the same bind processors SQLAlchemy
    would apply (a dict for JSONB becomes JSON text). Each parameter is declared with its bound type;
    an untyped one is left for PostgreSQL to infer from where it stands. Rows come back as the driver
    returns them (UUIDs as uuid.UUID, NUMERIC as Decimal).
    """

    def __init__(self, name: str, statement: ClauseElement) -> None:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a usable prepared statement name: {name!r}")
        compiled = statement.compile(dialect=PGDialect_psycopg2())  # type: ignore[no-untyped-call]
        assert isinstance(compiled, SQLCompiler)  # a statement, not a DDL element
        wanted = {bind.key for bind in compiled.binds.values() if bind.required}
        expanded = compiled.construct_expanded_state(dict.fromkeys(wanted))
        order: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in order:
                order.append(match.group(1))
            return f"${order.index(match.group(1)) + 1}"

        body = _PLACEHOLDER.sub(number, expanded.statement).replace("%%", "%")
        dialect = compiled.dialect
        types = ", ".join(_type_name(compiled.binds.get(key), dialect) for key in order)
        processors = {key: _processor(compiled.binds.get(key), dialect) for key in order}
        self.name = name
        self._prepare = f"PREPARE {name} ({types}) AS {body}" if order else f"PREPARE {name} AS {body}"
        self._constants = {
            key: _converted(processors.get(key), value)
            for key, value in expanded.parameters.items()
            if key not in wanted
        }
        self._processors = {key: found for key in wanted if (found := processors.get(key)) is not None}
        arguments = ", ".join(f"%({key})s" for key in order)
        self._execute = f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}"

    def run(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[*tuple[Any, ...]]:
        """Prepare on this session if it has not yet, then execute with `params`.

        When the session is out of step with what the pool record remembers, the connection is
        invalidated (the next checkout is a new session that prepares again) and the error says so,
        which makes it a transient failure: a read is retried at once, a message with back-off.
        """
        known: set[str] = conn.connection.info.setdefault(_INFO_KEY, set())
        try:
            if self.name not in known:
                conn.exec_driver_sql(self._prepare, execution_options=_NO_PARAMETERS)
                known.add(self.name)
            values = {**self._constants, **params}
            for key, processor in self._processors.items():
                values[key] = processor(values[key])
            return conn.exec_driver_sql(self._execute, values)
        except DBAPIError as exc:
            if getattr(exc.orig, "pgcode", None) in _SESSION_OUT_OF_STEP:
                conn.invalidate(exc)
                exc.connection_invalidated = True
            raise


def _type_name(bind: BindParameter[Any] | None, dialect: Dialect) -> str:
    """The PostgreSQL type a PREPARE declares for a parameter ("unknown": inferred by the server)."""
    if bind is None or isinstance(bind.type, NullType):
        return "unknown"
    try:
        return bind.type.compile(dialect=dialect)
    except (AttributeError, CompileError, NotImplementedError):  # an internal type with no SQL name
        return "unknown"


def _processor(bind: BindParameter[Any] | None, dialect: Dialect) -> Processor | None:
    """What SQLAlchemy does to a value of this parameter on the way in, if anything."""
    if bind is None:
        return None
    return bind.type.dialect_impl(dialect).bind_processor(dialect)


def _converted(processor: Processor | None, value: Any) -> Any:
    return value if processor is None else processor(value)
