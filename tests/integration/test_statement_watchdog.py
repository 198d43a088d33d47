"""`payflow watchdog` holds the module roles to the statement timeout they can lift themselves (`SET
statement_timeout = 0`): the real process, running as its own role, cancels their overdue statements and ends
their sessions idle in a transaction, never touches anyone else's, and cannot read the modules' data."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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
from app.persistence.watchdog import SWEEP, WATCHDOG, Grace
from app.process_roles import process_roles
from tests.support.figures import report
from tests.support.services import ADMIN_URL, fresh_database, sessions_on
from tests.support.system import ROOT
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

LIMIT_MS = 500
INTERVAL_MS = 200
IDLE_GRACE_MS = 300  # the production grace (15 s) only outlasts a relay's wait for the broker's confirms
LONGER_THAN_A_CANCEL_S = (LIMIT_MS + 4 * INTERVAL_MS) / 1000  # the watchdog would have cancelled it by then


@dataclass
class Watched:
    """A secured database of its own, and the real `payflow watchdog` process watching it."""

    url: str
    roles: ProcessRoles
    process: subprocess.Popen[bytes]
    log: Path

    def connect(self, role: str, url: str | None = None) -> Any:
        """A plain psycopg2 connection as `role` (a process of ours, or any role name)."""
        parsed = make_url(url or self.url)
        user = self.roles.name(role) if role in ("gateway", "orders", "payments", WATCHDOG) else role
        return psycopg2.connect(host=parsed.host, port=parsed.port, dbname=parsed.database, user=user)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def watched() -> Iterator[Watched]:
    with fresh_database("payflow_watchdog") as url, tempfile.TemporaryDirectory() as logs:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PAYFLOW_")}
        env |= {
            "PAYFLOW_DATABASE_URL": url,
            "PAYFLOW_WORKER_STATEMENT_TIMEOUT_MS": str(LIMIT_MS),
            "PAYFLOW_READ_TIMEOUT_MS": str(LIMIT_MS),
            "PAYFLOW_WATCHDOG_INTERVAL_MS": str(INTERVAL_MS),
            "PAYFLOW_LOG_FORMAT": "text",
            "PYTHONPATH": str(ROOT),
        }
        roles = process_roles(Settings.from_env(env))
        roles = dataclasses.replace(roles, grace=Grace(INTERVAL_MS, idle_after_ms=IDLE_GRACE_MS))
        engine = build_engine(url, application_name="payflow-tests")
        upgrade_all(engine)
        secure_database(engine, roles)
        engine.dispose()
        log = Path(logs) / "watchdog.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "watchdog"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        running = Watched(url, roles, process, log)
        try:
            wait_until(lambda: _watching(running), timeout=30, what="the watchdog to connect as its role")
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(30)
        assert exit_code == 0, running.output()[-3000:]


def _watching(watched: Watched) -> bool:
    assert watched.process.poll() is None, watched.output()
    return _sessions_of(watched.url, watched.roles.name(WATCHDOG)) > 0


def _sessions_of(url: str, role: str, pid: int | None = None) -> int:
    return sum(1 for found, user, _ in sessions_on(url) if user == role and pid in (None, found))


def refused(watched: Watched, role: str, statement: str) -> bool:
    """True when `role` is refused `statement` for lack of a privilege (any other outcome: False)."""
    conn = watched.connect(role)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    finally:
        conn.close()
    return False


def sleep_unbounded(conn: Any, seconds: float) -> float:
    """Lift the role's timeout and sleep `seconds`; how long the statement ran (raises if stopped)."""
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        started = time.monotonic()
        cursor.execute("SELECT pg_sleep(%s)", (seconds,))
    return time.monotonic() - started


def test_a_module_role_that_lifts_its_timeout_has_its_statement_cancelled_soon_after_the_limit(
    watched: Watched,
) -> None:
    conn = watched.connect("orders")
    pid = conn.get_backend_pid()
    started = time.monotonic()

    try:
        with pytest.raises(errors.QueryCanceled, match="user request"):
            sleep_unbounded(conn, 60)
        elapsed_ms = (time.monotonic() - started) * 1000
    finally:
        conn.close()

    report(
        f"watchdog: a statement with its timeout lifted cancelled after {elapsed_ms:.0f} ms, limit {LIMIT_MS}"
    )
    assert LIMIT_MS <= elapsed_ms < LIMIT_MS + 5 * INTERVAL_MS
    warning = wait_until(
        lambda: next((line for line in watched.output().splitlines() if f"pid {pid}:" in line), None),
        timeout=5,
        what="the watchdog's warning",
    )
    assert "WARNING" in warning
    assert f"cancelled the statement of {watched.roles.name('orders')} pid {pid}: active for" in warning
    assert "pg_sleep" not in watched.output()  # never the query text: values are inlined in it


def test_a_session_left_idle_in_a_transaction_past_its_limit_and_grace_is_terminated(
    watched: Watched,
) -> None:
    conn = watched.connect("payments")
    pid = conn.get_backend_pid()
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")  # opens the transaction, then leaves it idle
    idle_since = time.monotonic()

    wait_until(
        lambda: _sessions_of(watched.url, watched.roles.name("payments"), pid) == 0,
        timeout=10,
        what="the idle session to end",
    )
    ended_after_ms = (time.monotonic() - idle_since) * 1000

    with pytest.raises(psycopg2.OperationalError):
        conn.cursor().execute("SELECT 1")
    conn.close()
    report(f"watchdog: a session idle in a transaction ended after {ended_after_ms:.0f} ms, limit {LIMIT_MS}")
    assert ended_after_ms >= LIMIT_MS + IDLE_GRACE_MS
    assert f"terminated the session of {watched.roles.name('payments')} pid {pid}: idle in transaction" in (
        watched.output()
    )


def test_a_long_statement_of_a_role_that_is_not_ours_is_left_alone(watched: Watched) -> None:
    outsider = f"{make_url(watched.url).database}_outsider"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{outsider}" LOGIN'))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{make_url(watched.url).database}" TO "{outsider}"'))
    session = watched.connect(outsider)

    try:
        ran_s = sleep_unbounded(session, LONGER_THAN_A_CANCEL_S)
    finally:
        session.close()
        with admin.connect() as conn:
            conn.execute(
                text(f'REVOKE CONNECT ON DATABASE "{make_url(watched.url).database}" FROM "{outsider}"')
            )
            conn.execute(text(f'DROP ROLE "{outsider}"'))
        admin.dispose()

    assert ran_s >= LONGER_THAN_A_CANCEL_S


def test_our_roles_statements_in_another_database_are_left_alone(watched: Watched) -> None:
    with fresh_database("payflow_watchdog_other") as other:
        session = watched.connect("orders", other)  # a new database grants CONNECT to PUBLIC

        try:
            ran_s = sleep_unbounded(session, LONGER_THAN_A_CANCEL_S)
        finally:
            session.close()

    assert ran_s >= LONGER_THAN_A_CANCEL_S


def test_the_watchdog_role_can_neither_signal_a_session_itself_nor_read_what_it_runs(
    watched: Watched,
) -> None:
    busy = watched.connect("orders")
    pid = busy.get_backend_pid()
    conn = watched.connect(WATCHDOG)

    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
            (seen,) = cursor.fetchone()
        with pytest.raises(errors.InsufficientPrivilege), conn.cursor() as cursor:
            cursor.execute("SELECT pg_cancel_backend(%s)", (pid,))
    finally:
        conn.close()
        busy.close()

    assert seen == "<insufficient privilege>"


@pytest.mark.parametrize("process", ["gateway", "orders", "payments"])
def test_no_module_role_may_run_the_sweep(watched: Watched, process: str) -> None:
    assert refused(watched, process, f"SELECT * FROM {SWEEP}()")


@pytest.mark.parametrize(
    "table",
    ["gateway.commands", "orders.orders", "orders.order_history", "payments.payments", "payments.outbox"],
)
def test_the_watchdog_role_cannot_read_the_modules_tables(watched: Watched, table: str) -> None:
    assert refused(watched, WATCHDOG, f"SELECT 1 FROM {table} LIMIT 0")


def test_the_watchdog_role_is_a_member_of_no_role_at_all(
    watched: Watched,
) -> None:
    conn = watched.connect(WATCHDOG)

    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT b.rolname FROM pg_auth_members AS m JOIN pg_roles AS b ON b.oid = m.roleid"
                " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1"
            )
            member_of = [row[0] for row in cursor.fetchall()]
    finally:
        conn.close()

    assert member_of == []  # its sweep runs with setup's rights, written for our roles only
