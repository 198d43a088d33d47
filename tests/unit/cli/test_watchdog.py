"""`payflow watchdog`'s loop and what it holds each role to, without a database."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from app.cli.watchdog import BACKOFF_CAP_S, watch
from app.config import Settings
from app.persistence.roles import grant_statements, limit_statements
from app.persistence.watchdog import IDLE_GRACE_MS, WATCHDOG_CONNECTION_LIMIT, Grace, Stopped
from app.process_roles import process_roles, watchdog_urls

OWNER = "postgresql+psycopg2://owner:owner-pw@db.internal:5432/payflow"
CANCELLED = Stopped(
    pid=4242,
    role="payflow_orders",
    state="active",
    action="cancel",
    age_ms=31_250,
    limit_ms=30_000,
    done=True,
)


class FakeStop:
    """A stop event that records each pause and is set after `passes` of them."""

    def __init__(self, passes: int) -> None:
        self.waits: list[float] = []
        self._passes = passes

    def is_set(self) -> bool:
        return len(self.waits) >= self._passes

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return self.is_set()


class FlakyDatabase:
    """A pass that fails while the database is down (`outcomes` False), else stops one statement."""

    def __init__(self, *outcomes: bool) -> None:
        self._outcomes = list(outcomes)

    def __call__(self) -> list[Stopped]:
        if not self._outcomes.pop(0):
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return [CANCELLED]


def test_the_watchdog_backs_off_while_the_database_is_down_and_keeps_its_pace_once_it_is_back() -> None:
    stop = FakeStop(passes=6)

    watch(FlakyDatabase(True, False, False, False, False, True), "primary", 1.0, stop)  # type: ignore[arg-type]

    assert stop.waits == [1.0, 2.0, 4.0, BACKOFF_CAP_S, BACKOFF_CAP_S, 1.0]


def test_each_stopped_session_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="payflow.watchdog")

    watch(FlakyDatabase(True), "replica", 0.5, FakeStop(passes=1))  # type: ignore[arg-type]

    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage() == (
        "watchdog on the replica: cancelled the statement of payflow_orders pid 4242: active for 31.2 s, "
        "over its 30000 ms statement timeout"
    )


def test_a_signal_that_could_not_be_sent_says_so() -> None:
    ended = Stopped(4242, "payflow_orders", "idle in transaction", "terminate", 2_000, 500, done=False)

    assert ended.describe().startswith("could not signal (terminate) the session of payflow_orders pid 4242")


def test_setup_holds_each_module_role_to_its_own_timeout_cancelling_one_watchdog_interval_late() -> None:
    env = {"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_WATCHDOG_INTERVAL_MS": "250"}

    roles = process_roles(Settings.from_env(env))

    assert roles.statement_timeouts_ms == {"gateway": 2000, "orders": 30000, "payments": 30000}
    assert roles.grace == Grace(cancel_after_ms=250, idle_after_ms=IDLE_GRACE_MS)


def test_the_watchdog_connects_as_its_own_role_and_watches_the_replica_with_the_same_credentials() -> None:
    own = "postgresql+psycopg2://payflow_watchdog:wd-pw@db.internal:5432/payflow"
    replica = "postgresql+psycopg2://owner:owner-pw@replica.internal:5433/payflow"

    derived = watchdog_urls(Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER}))
    configured = watchdog_urls(
        Settings.from_env(
            {
                "PAYFLOW_DATABASE_URL": OWNER,
                "PAYFLOW_WATCHDOG_DATABASE_URL": own,
                "PAYFLOW_READ_DATABASE_URL": replica,
            }
        )
    )

    assert derived == {"primary": "postgresql+psycopg2://payflow_watchdog@db.internal:5432/payflow"}
    assert configured == {
        "primary": own,
        "replica": "postgresql+psycopg2://payflow_watchdog:wd-pw@replica.internal:5433/payflow",
    }


def test_the_watchdog_role_may_connect_to_our_database_only_a_few_times_and_is_granted_no_schema() -> None:
    roles = process_roles(Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER}))
    hosts = {"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_PROCESSES_PER_ROLE": "4"}  # a watchdog on each host

    limits = limit_statements(roles, "payflow")
    grants = grant_statements(roles)

    assert 'GRANT CONNECT ON DATABASE "payflow" TO "payflow_watchdog"' in limits
    assert f'ALTER ROLE "payflow_watchdog" CONNECTION LIMIT {WATCHDOG_CONNECTION_LIMIT}' in limits
    assert (
        process_roles(Settings.from_env(hosts)).connection_limits["watchdog"] == 4 * WATCHDOG_CONNECTION_LIMIT
    )
    assert not [statement for statement in grants if "payflow_watchdog" in statement]


def test_the_watchdog_watches_the_replica_the_gateway_reads_from_with_that_replicas_options() -> None:
    gateway_replica = (
        "postgresql+psycopg2://payflow_gateway:gw-pw@replica.internal:5433/payflow?sslmode=require"
    )
    settings = Settings.from_env(
        {"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_GATEWAY_READ_DATABASE_URL": gateway_replica}
    )

    urls = watchdog_urls(settings)

    assert (
        urls["replica"]
        == "postgresql+psycopg2://payflow_watchdog@replica.internal:5433/payflow?sslmode=require"
    )
