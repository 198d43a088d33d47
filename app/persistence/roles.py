"""Least privilege: one LOGIN role per process, granted only what that process needs (grants as data)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

ROLE_NAMES = {"gateway": "payflow_gateway", "orders": "payflow_orders", "payments": "payflow_payments"}
VERSION_TABLE = "alembic_version"
_ALREADY_EXISTS = {"42710", "23505"}  # duplicate_object; unique_violation when two setups race


@dataclass(frozen=True)
class SchemaOwnerAccess:
    """`role` reads and writes every table and sequence of `schema` (its version table read-only)."""

    role: str
    schema: str


@dataclass(frozen=True)
class TableRead:
    """`role` may only SELECT from `tables` of `schema` (another module's read side)."""

    role: str
    schema: str
    tables: tuple[str, ...]


SCHEMA_ACCESS: Sequence[SchemaOwnerAccess] = (
    SchemaOwnerAccess(ROLE_NAMES["gateway"], "gateway"),
    SchemaOwnerAccess(ROLE_NAMES["orders"], "orders"),
    SchemaOwnerAccess(ROLE_NAMES["payments"], "payments"),
)
# The gateway answers reads through the modules' query functions and checks every schema's migrations.
TABLE_READS: Sequence[TableRead] = (
    TableRead(ROLE_NAMES["gateway"], "orders", ("orders", "order_counts", VERSION_TABLE)),
    TableRead(ROLE_NAMES["gateway"], "payments", ("payments", "payment_totals", VERSION_TABLE)),
)


def role_url(owner_url: str, role: str) -> str:
    """`owner_url` with the user replaced by the process role's database role (and no password)."""
    owner = make_url(owner_url)
    # A fresh URL rather than owner.set(): set() keeps the password when given None.
    url = URL.create(
        owner.drivername,
        username=ROLE_NAMES[role],
        host=owner.host,
        port=owner.port,
        database=owner.database,
        query=owner.query,
    )
    return url.render_as_string(hide_password=False)


def grant_statements() -> list[str]:
    """Every GRANT/REVOKE, in order; all idempotent, so they are simply re-run after each migration."""
    statements = []
    for access in SCHEMA_ACCESS:
        schema, role = f'"{access.schema}"', f'"{access.role}"'
        statements += [
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            f"REVOKE INSERT, UPDATE, DELETE ON {schema}.{VERSION_TABLE} FROM {role}",
        ]
    for read in TABLE_READS:
        schema, role = f'"{read.schema}"', f'"{read.role}"'
        statements.append(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        statements += [f'GRANT SELECT ON {schema}."{table}" TO {role}' for table in read.tables]
    return statements


def role_passwords(process_urls: Mapping[str, str]) -> dict[str, str]:
    """Role name -> password, from the processes' own URLs (process role -> URL, empty when unset).
    A URL naming another user gets nothing: the grants are made to the payflow_* roles only."""
    passwords = {}
    for role, raw in process_urls.items():
        url = make_url(raw) if raw else None
        if url is None or url.password is None:
            continue
        if url.username != ROLE_NAMES[role]:
            log.warning(
                "the %s URL connects as %s, but the grants are for %s", role, url.username, ROLE_NAMES[role]
            )
            continue
        passwords[ROLE_NAMES[role]] = str(url.password)
    return passwords


def secure_database(engine: Engine, passwords: Mapping[str, str] | None = None) -> None:
    """Create the process roles when missing, give them the `passwords` (role name -> password) when
    given, then (re)apply every grant in the engine's database. Needs the migrations applied first and
    an owner allowed to create roles (or the roles made already)."""
    with engine.begin() as conn:
        for role in ROLE_NAMES.values():
            _ensure_role(conn, role)
        for role, password in (passwords or {}).items():
            # psycopg2 binds client-side, so the password travels as a quoted literal, never in a log.
            conn.execute(text(f'ALTER ROLE "{role}" PASSWORD :password'), {"password": password})
        for statement in grant_statements():
            conn.execute(text(statement))
    log.info("database roles %s granted their schemas", ", ".join(ROLE_NAMES.values()))


def _ensure_role(conn: Connection, role: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if exists:
        return
    try:
        with conn.begin_nested():  # a savepoint: losing a race to another setup is fine
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        log.info("created database role %s", role)
    except DBAPIError as exc:
        if getattr(exc.orig, "pgcode", None) not in _ALREADY_EXISTS:
            raise
