"""Least privilege: one LOGIN role per process, granted only what that process needs (grants as data)."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from app.persistence.migrations import VERSION_TABLE
from app.persistence.watchdog import WATCHDOG, Grace, install_sweep

log = logging.getLogger(__name__)

PROCESSES = ("gateway", "orders", "payments")  # each process owns the schema of its name
_ALREADY_EXISTS = {"42710", "23505"}  # duplicate_object; unique_violation when two setups race
# The audit trail: its owner may add to it and read it, never rewrite it.
APPEND_ONLY = {"orders": ("order_history",), "payments": ("payment_history",)}
# Beyond its own schema, the gateway reads the modules' read sides and every schema's migrations.
READS = {
    ("gateway", "orders"): ("orders", "order_counts", VERSION_TABLE),
    ("gateway", "payments"): ("payments", "payment_totals", VERSION_TABLE),
}


@dataclass(frozen=True)
class ProcessRoles:
    """The roles of one database's processes (`<prefix>_<process>`) and the limits each role gets."""

    prefix: str
    connection_limits: Mapping[str, int]
    statement_timeouts_ms: Mapping[str, int]
    grace: Grace  # what the watchdog allows past those timeouts

    def name(self, process: str) -> str:
        return f"{self.prefix}_{process}"

    def names(self) -> list[str]:
        return [self.name(process) for process in PROCESSES]

    def logins(self) -> list[str]:
        """Every role setup makes: the processes' and the watchdog's."""
        return [*self.names(), self.name(WATCHDOG)]


def role_prefix(owner_url: str, configured: str = "") -> str:
    """The configured prefix, else the database's name: roles are cluster-wide, a database's are its own."""
    return configured or str(make_url(owner_url).database)


def role_url(owner_url: str, role: str) -> str:
    """`owner_url` with the user replaced by the database role `role` (and no password)."""
    owner = make_url(owner_url)
    # A fresh URL rather than owner.set(): set() keeps the password when given None.
    url = URL.create(owner.drivername, role, None, owner.host, owner.port, owner.database, owner.query)
    return url.render_as_string(hide_password=False)


def grant_statements(roles: ProcessRoles) -> list[str]:
    """Every GRANT/REVOKE, in order; all idempotent, so they are simply re-run after each migration."""
    statements = []
    for process in PROCESSES:
        role, schema = roles.name(process), process
        statements += [
            f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
            f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
            f'REVOKE INSERT, UPDATE, DELETE ON "{schema}".{VERSION_TABLE} FROM "{role}"',
        ]
        statements += [
            f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}"."{table}" FROM "{role}"'
            for table in APPEND_ONLY.get(process, ())
        ]
    for (process, schema), tables in READS.items():
        statements.append(f'GRANT USAGE ON SCHEMA "{schema}" TO "{roles.name(process)}"')
        statements += [f'GRANT SELECT ON "{schema}"."{table}" TO "{roles.name(process)}"' for table in tables]
    return statements


def limit_statements(roles: ProcessRoles, database: str) -> list[str]:
    """Per role: its connection limit and statement timeout; CONNECT to `database` for its roles only."""
    watchdog = roles.name(WATCHDOG)
    statements = [
        f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC',
        f'GRANT CONNECT ON DATABASE "{database}" TO "{watchdog}"',
        f'ALTER ROLE "{watchdog}" CONNECTION LIMIT {int(roles.connection_limits[WATCHDOG])}',
    ]
    for process in PROCESSES:
        role = roles.name(process)
        statements += [
            f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
            f'ALTER ROLE "{role}" CONNECTION LIMIT {int(roles.connection_limits[process])}',
            f'ALTER ROLE "{role}" SET statement_timeout = {int(roles.statement_timeouts_ms[process])}',
        ]
    return statements


def role_passwords(process_urls: Mapping[str, str], roles: ProcessRoles) -> dict[str, str]:
    """Role name -> password from the process URLs (empty when unset); a URL naming another user gets none."""
    passwords = {}
    for process, raw in process_urls.items():
        url = make_url(raw) if raw else None
        if url is None or url.password is None:
            continue
        role = roles.name(process)
        if url.username == role:
            passwords[role] = str(url.password)
        else:
            log.warning("the %s URL connects as %s, but the grants are for %s", process, url.username, role)
    return passwords


def secure_database(engine: Engine, roles: ProcessRoles, passwords: Mapping[str, str] | None = None) -> None:
    """Create the process roles and the watchdog's, set the `passwords` given (role name -> password),
    (re)apply every grant and limit. Needs the migrations applied and an owner allowed to create roles (or
    the roles made already); the watchdog's sweep needs a superuser, or pg_read_all_stats and
    pg_signal_backend (else a warning)."""
    with engine.begin() as conn:
        for role in roles.logins():
            _ensure_role(conn, role)
        for role, password in (passwords or {}).items():
            # psycopg2 binds client-side, so the password travels as a quoted literal, never in a log.
            conn.execute(text(f'ALTER ROLE "{role}" PASSWORD :password'), {"password": password})
        for statement in grant_statements(roles) + limit_statements(roles, str(engine.url.database)):
            conn.execute(text(statement))
        timeouts = {roles.name(process): roles.statement_timeouts_ms[process] for process in PROCESSES}
        install_sweep(conn, roles.name(WATCHDOG), timeouts, roles.grace)
    log.info("database roles %s granted their schemas", ", ".join(roles.names()))


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
