"""`payflow setup` and the cluster's other databases: closed to our roles on a cluster of our own, reported
on a shared one. Each test has a throwaway cluster: closing databases must never touch the machine's."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg2
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cli.commands import apply_migrations
from app.config import Settings
from app.persistence.migrations import ensure_database
from app.process_roles import process_roles
from tests.support.own_postgres import OwnPostgres, own_postgres

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster() -> Iterator[OwnPostgres]:
    with own_postgres() as made:
        yield made


def set_up(cluster: OwnPostgres, mode: str, owner: str = "postgres") -> Settings:
    """`payflow setup`'s database steps on `payflow` of `cluster`, run as `owner`, in cluster `mode`."""
    url = make_url(cluster.admin_url).set(username=owner, database="payflow").render_as_string()
    env = {"PAYFLOW_DATABASE_URL": url, "PAYFLOW_DATABASE_CLUSTER": mode}
    settings = Settings.from_env(env)
    ensure_database(settings.database_url)
    apply_migrations(settings)
    return settings


def connects(cluster: OwnPostgres, role: str, database: str) -> bool:
    """True when `role` may connect to `database`; False when refused for lack of `CONNECT` (only)."""
    try:
        psycopg2.connect(host="127.0.0.1", port=cluster.port, dbname=database, user=role).close()
    except psycopg2.OperationalError as exc:
        if "permission denied for database" not in str(exc):
            raise
        return False
    return True


def admin(cluster: OwnPostgres, statement: str) -> None:
    engine = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def warnings_of_setup_by_a_plain_owner(
    cluster: OwnPostgres, caplog: pytest.LogCaptureFixture, mode: str, logger: str
) -> list[str]:
    """Setup in `mode` by a database owner that is not a superuser; the warnings `logger` wrote."""
    admin(cluster, 'CREATE ROLE "owner" LOGIN CREATEROLE')
    admin(cluster, 'CREATE DATABASE "payflow" OWNER "owner"')
    with caplog.at_level(logging.WARNING, logger=logger):
        set_up(cluster, mode, owner="owner")
    return [record.getMessage() for record in caplog.records if record.name == logger]


def test_on_a_dedicated_cluster_our_roles_connect_to_their_own_database_only(cluster: OwnPostgres) -> None:
    made = process_roles(set_up(cluster, "dedicated"))
    roles = made.logins()

    databases = ("payflow", "postgres", "template1")
    reach = {role: [db for db in databases if connects(cluster, role, db)] for role in roles}

    assert reach == {role: ["payflow"] for role in roles}


def test_on_a_dedicated_cluster_other_roles_lose_their_way_in_but_superusers_keep_theirs(
    cluster: OwnPostgres,
) -> None:
    admin(cluster, 'CREATE ROLE "someone_else" LOGIN')
    set_up(cluster, "dedicated")

    after = {role: connects(cluster, role, "postgres") for role in ("someone_else", "postgres")}
    set_up(cluster, "dedicated")  # setup runs again: it reaches `postgres` to check for the database

    assert after == {"someone_else": False, "postgres": True}


def test_on_a_shared_cluster_setup_leaves_other_databases_open_and_says_which_our_roles_reach(
    cluster: OwnPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.persistence.cluster_access"):
        made = process_roles(set_up(cluster, "shared"))
    roles = made.logins()

    warnings = [r.getMessage() for r in caplog.records if r.name == "app.persistence.cluster_access"]
    assert all(connects(cluster, role, "postgres") for role in roles)
    assert len(warnings) == 1
    assert all(f"{role}: postgres, template1" in warnings[0] for role in roles)


def test_a_dedicated_setup_by_an_owner_that_is_not_a_superuser_names_the_databases_it_could_not_close(
    cluster: OwnPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    warnings = warnings_of_setup_by_a_plain_owner(
        cluster, caplog, "dedicated", "app.persistence.cluster_access"
    )

    assert warnings[0] == "could not close databases postgres, template1: only their owner or a superuser may"
    assert "payflow_orders: postgres, template1" in warnings[1]


def test_setup_by_a_user_without_the_rights_the_watchdogs_sweep_needs_says_it_will_stop_nothing(
    cluster: OwnPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    warnings = warnings_of_setup_by_a_plain_owner(cluster, caplog, "shared", "app.persistence.watchdog")

    assert len(warnings) == 1
    assert "`payflow watchdog` will stop nothing" in warnings[0]
