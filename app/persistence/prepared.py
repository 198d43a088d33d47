"""Hot statements PREPAREd once per database session and run with EXECUTE: planned once, not per call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BindParameter, Connection, CursorResult, Dialect
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NullType

_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s")
_INFO_KEY = "payflow_prepared"
_UNKNOWN_STATEMENT = "26000"  # invalid_sql_statement_name: the session no longer has it


class Prepared:
    """A Core statement compiled once to `PREPARE name AS ...` and run as `EXECUTE name(...)`.

    psycopg2 has no server-side prepared statements of its own, so every statement used to be parsed
    and planned anew: a third of PostgreSQL's time per statement in the benchmark went to planning.
    `EXECUTE` also skips SQLAlchemy's per-call compile-cache lookup and parameter processing. The
    connection's pool record remembers which names its session has prepared (PREPARE is not undone by
    a rollback; the record forgets them when the connection is closed or invalidated).

    The caller passes a value for every `bindparam` declared without one on every run; the statement's
    literal values are constants kept with it. Rows come back as the driver returns them (UUIDs as uuid.UUID,
    NUMERIC as Decimal). Each parameter is declared with its bound type; an untyped one is left for
    PostgreSQL to infer from where it stands.
    """

    def __init__(self, name: str, statement: ClauseElement) -> None:
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
        types = ", ".join(_type_name(compiled.binds.get(key), compiled.dialect) for key in order)
        self.name = name
        self._prepare = f"PREPARE {name} ({types}) AS {body}" if order else f"PREPARE {name} AS {body}"
        self._constants = {key: value for key, value in expanded.parameters.items() if key not in wanted}
        # What SQLAlchemy would do to each value on the way in (a dict for JSONB becomes JSON text).
        self._processors = {
            key: processor
            for key in wanted
            if (
                processor := compiled.binds[key]
                .type.dialect_impl(compiled.dialect)
                .bind_processor(compiled.dialect)
            )
        }
        arguments = ", ".join(f"%({key})s" for key in order)
        self._execute = f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}"

    def run(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[*tuple[Any, ...]]:
        """Prepare on this session if it has not yet, then execute with `params`."""
        known: set[str] = conn.connection.info.setdefault(_INFO_KEY, set())
        try:
            if self.name not in known:
                conn.exec_driver_sql(self._prepare)
                known.add(self.name)
            values = {**self._constants, **params}
            for key, processor in self._processors.items():
                values[key] = processor(values[key])
            return conn.exec_driver_sql(self._execute, values)
        except DBAPIError as exc:
            if getattr(exc.orig, "pgcode", None) == _UNKNOWN_STATEMENT:
                known.discard(self.name)  # prepared again on the next run
            raise


def _type_name(bind: BindParameter[Any] | None, dialect: Dialect) -> str:
    """The PostgreSQL type a PREPARE declares for a parameter ("unknown": inferred by the server)."""
    if bind is None or isinstance(bind.type, NullType):
        return "unknown"
    return bind.type.compile(dialect=dialect)
