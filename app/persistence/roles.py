"""Least privilege: one LOGIN role per process, granted only what that process needs (grants as data)."""

import logging
from collections.abc import Mapping

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from app.persistence.migrations import VERSION_TABLE

log = logging.getLogger(__name__)

ROLE_NAMES = {"gateway": "payflow_gateway", "orders": "payflow_orders", "payments": "payflow_payments"}
_ALREADY_EXISTS = {"42710", "23505"}  # duplicate_object; unique_violation when two setups race
# Each process role reads and writes its own schema (its version table read-only) ...
OWNS = {role: schema for schema, role in ROLE_NAMES.items()}
# ... and the gateway may also read the modules' read sides and every schema's migrations.
READS = {
    ("payflow_gateway", "orders"): ("orders", "order_counts", VERSION_TABLE),
    ("payflow_gateway", "payments"): ("payments", "payment_totals", VERSION_TABLE),
}


def role_url(owner_url: str, role: str) -> str:
    """`owner_url` with the user replaced by the process role's database role (and no password)."""
    owner = make_url(owner_url)
    # A fresh URL rather than owner.set(): set() keeps the password when given None.
    url = URL.create(
        owner.drivername, ROLE_NAMES[role], None, owner.host, owner.port, owner.database, owner.query
    )
    return url.render_as_string(hide_password=False)


def grant_statements() -> list[str]:
    """Every GRANT/REVOKE, in order; all idempotent, so they are simply re-run after each migration."""
    statements = []
    for role, schema in OWNS.items():
        statements += [
            f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
            f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
            f'REVOKE INSERT, UPDATE, DELETE ON "{schema}".{VERSION_TABLE} FROM "{role}"',
        ]
    for (role, schema), tables in READS.items():
        statements.append(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        statements += [f'GRANT SELECT ON "{schema}"."{table}" TO "{role}"' for table in tables]
    return statements


def role_passwords(process_urls: Mapping[str, str]) -> dict[str, str]:
    """Role name -> password from the process URLs (empty when unset); a URL naming another user gets none."""
    passwords = {}
    for role, raw in process_urls.items():
        url = make_url(raw) if raw else None
        if url is None or url.password is None:
            continue
        if url.username == ROLE_NAMES[role]:
            passwords[ROLE_NAMES[role]] = str(url.password)
        else:
            log.warning(
                "the %s URL connects as %s, but the grants are for %s", role, url.username, ROLE_NAMES[role]
            )
    return passwords


def secure_database(engine: Engine, passwords: Mapping[str, str] | None = None) -> None:
    """Create the process roles, set the `passwords` given (role name -> password), (re)apply every grant.
    Needs the migrations applied and an owner allowed to create roles (or the roles made already)."""
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
