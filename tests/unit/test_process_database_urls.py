"""Each process connects as its own database role; operator tools keep the owner's URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.cli import console, reconcile, status
from app.config import Settings
from app.persistence.roles import role_passwords
from app.process_roles import gateway_read_url, process_database_url, process_roles, process_urls

OWNER = "postgresql+psycopg2://owner:owner-pw@db.internal:5432/payflow"


@pytest.mark.parametrize("role", ["gateway", "orders", "payments"])
def test_by_default_a_process_uses_the_owner_url_as_its_own_role_without_the_owner_password(
    role: str,
) -> None:
    settings = Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER})

    url = process_database_url(settings, role)

    assert url == f"postgresql+psycopg2://payflow_{role}@db.internal:5432/payflow"


def test_a_configured_process_url_wins() -> None:
    own = "postgresql+psycopg2://payflow_orders:orders-pw@db.internal:5432/payflow"
    settings = Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_ORDERS_DATABASE_URL": own})

    assert process_database_url(settings, "orders") == own
    assert process_database_url(settings, "payments").startswith("postgresql+psycopg2://payflow_payments@")


def test_the_gateway_reads_from_the_replica_as_its_own_role_and_from_nowhere_else_without_one() -> None:
    replica = "postgresql+psycopg2://owner:owner-pw@replica.internal:5433/payflow"
    own = "postgresql+psycopg2://payflow_gateway:gw-pw@replica.internal:5433/payflow"
    env = {"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_READ_DATABASE_URL": replica}

    derived = gateway_read_url(Settings.from_env(env))
    configured = gateway_read_url(Settings.from_env(env | {"PAYFLOW_GATEWAY_READ_DATABASE_URL": own}))

    assert derived == "postgresql+psycopg2://payflow_gateway@replica.internal:5433/payflow"
    assert configured == own
    assert gateway_read_url(Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER})) == ""


class DatabaseRefused(Exception):
    """Ends an operator command at its first use of the database."""


class RecordingEngineBuilder:
    """Stands in for build_engine: notes the URL an operator command connects with, then refuses."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str, **options: Any) -> Any:
        self.urls.append(url)
        raise DatabaseRefused(url)


OPERATOR_READS: dict[str, Callable[[Settings], object]] = {
    "status": status.read_database,
    "reconcile": lambda settings: reconcile.check(settings, None, timedelta(seconds=60)),
}


@pytest.mark.parametrize("command", sorted(OPERATOR_READS))
def test_operator_tools_connect_as_the_owner(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    builder = RecordingEngineBuilder()
    monkeypatch.setattr(console, "build_engine", builder)
    settings = Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER})

    with pytest.raises(DatabaseRefused):
        OPERATOR_READS[command](settings)

    assert builder.urls == [OWNER]


def test_setup_takes_each_roles_password_from_the_process_url_that_names_the_role() -> None:
    urls = {
        "gateway": "postgresql+psycopg2://payflow_gateway:gw-pw@db.internal/payflow",
        "orders": "",
        "payments": "postgresql+psycopg2://someone_else:other-pw@db.internal/payflow",
    }

    roles = process_roles(Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER}))

    assert role_passwords(urls, roles) == {"payflow_gateway": "gw-pw"}


def test_each_roles_connection_limit_grows_with_the_processes_a_deployment_runs_per_role() -> None:
    one = process_roles(Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER})).connection_limits
    four = process_roles(
        Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_PROCESSES_PER_ROLE": "4"})
    ).connection_limits

    assert one["orders"] == 8  # 2 pooled x 2 overflow, twice for a restart
    assert four == {role: 4 * limit for role, limit in one.items()}


def test_setup_gives_the_watchdog_role_the_password_of_its_url() -> None:
    own = "postgresql+psycopg2://payflow_watchdog:wd-pw@db.internal/payflow"
    settings = Settings.from_env({"PAYFLOW_DATABASE_URL": OWNER, "PAYFLOW_WATCHDOG_DATABASE_URL": own})

    passwords = role_passwords(process_urls(settings), process_roles(settings))

    assert passwords == {"payflow_watchdog": "wd-pw"}
