"""What `payflow setup` holds each process role to: an append-only audit trail, a connection limit, a
statement timeout the client did not ask for, and CONNECT to its own database only."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from psycopg2 import errors
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.persistence import build_engine
from app.persistence.migrations import upgrade_all
from app.persistence.roles import ProcessRoles, secure_database
from app.process_roles import process_roles
from tests.support.services import ADMIN_URL, fresh_database

pytestmark = pytest.mark.integration

TIMEOUT_MS = 300
HISTORY = {"orders": "orders.order_history", "payments": "payments.payment_history"}


@pytest.fixture(scope="module")
def secured() -> Iterator[tuple[str, ProcessRoles]]:
    """A database of its own, migrated and secured by `payflow setup`'s steps; its roles go with it."""
    with fresh_database("payflow_roles") as url:
        env = {"PAYFLOW_DATABASE_URL": url, "PAYFLOW_WORKER_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS)}
        roles = process_roles(Settings.from_env(env))
        engine = build_engine(url, application_name="payflow-tests")
        upgrade_all(engine)
        secure_database(engine, roles)
        engine.dispose()
        yield url, roles


def connect(url: str, user: str) -> Any:
    """A plain psycopg2 connection as `user`, asking for no setting at all."""
    parsed = make_url(url)
    return psycopg2.connect(host=parsed.host, port=parsed.port, dbname=parsed.database, user=user)


def refused(conn: Any, statement: str) -> bool:
    """True when the role lacks the privilege for `statement` (rolled back either way)."""
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    finally:
        conn.rollback()
    return False


@pytest.mark.parametrize("process", ["orders", "payments"])
def test_a_module_role_may_add_to_and_read_its_history_but_never_update_delete_or_truncate_it(
    secured: tuple[str, ProcessRoles], process: str
) -> None:
    url, roles = secured
    table = HISTORY[process]
    conn = connect(url, roles.name(process))

    try:
        found = {
            "select": refused(conn, f"SELECT 1 FROM {table} LIMIT 0"),
            "insert": refused(conn, f"INSERT INTO {table} SELECT * FROM {table} WHERE false"),
            "update": refused(conn, f"UPDATE {table} SET id = id WHERE false"),
            "delete": refused(conn, f"DELETE FROM {table} WHERE false"),
            "truncate": refused(conn, f"TRUNCATE {table}"),
        }
    finally:
        conn.close()

    assert found == {"select": False, "insert": False, "update": True, "delete": True, "truncate": True}


def test_a_role_cannot_open_more_connections_than_its_limit(secured: tuple[str, ProcessRoles]) -> None:
    url, roles = secured
    limit = roles.connection_limits["orders"]

    with contextlib.ExitStack() as held:
        for _ in range(limit):
            held.callback(connect(url, roles.name("orders")).close)
        with pytest.raises(psycopg2.OperationalError, match="too many connections for role"):
            connect(url, roles.name("orders")).close()

    assert limit == 8  # twice the 2 + 2 pooled connections of a worker process


def test_a_roles_statements_time_out_although_its_client_asked_for_no_timeout(
    secured: tuple[str, ProcessRoles],
) -> None:
    url, roles = secured
    conn = connect(url, roles.name("payments"))
    started = time.monotonic()

    try:
        with pytest.raises(errors.QueryCanceled), conn.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        elapsed_s = time.monotonic() - started
    finally:
        conn.close()

    assert elapsed_s < 2


def test_only_the_databases_own_roles_may_connect_to_it(secured: tuple[str, ProcessRoles]) -> None:
    url, roles = secured
    outsider = f"{make_url(url).database}_outsider"  # any role of the cluster that is not one of ours
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{outsider}" LOGIN'))

    try:
        for role in roles.names():
            connect(url, role).close()
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            connect(url, outsider).close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE "{outsider}"'))
        admin.dispose()
