"""Least privilege: each process's database role reaches only its own schema (the gateway also reads the
modules' read sides), and can do all its process needs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import ProgrammingError

from app import payments
from app.config import Settings
from app.contracts import OrderCancelled
from app.gateway import SqlCommandStore
from app.persistence import append_events
from app.persistence.migrations import pending_migrations
from app.persistence.roles import ProcessRoles, role_url, secure_database
from app.process_roles import process_roles
from tests.integration.gateway.commands import creation

pytestmark = pytest.mark.integration

TABLES = {
    "gateway": ("commands", "alembic_version"),
    "orders": ("orders", "order_history", "order_counts", "processed_events", "alembic_version"),
    "payments": (
        "payments",
        "payment_history",
        "payment_totals",
        "processed_events",
        "cancelled_orders",
        "releases_owed",
        "outbox",
        "alembic_version",
    ),
}
APPEND_ONLY = {"orders.order_history", "payments.payment_history"}  # read and added to, never rewritten
# What the gateway may read beyond its own schema: the modules' read sides and their migration state.
READ_SIDES = {"orders.orders", "orders.order_counts", "orders.alembic_version"}
READ_SIDES |= {"payments.payments", "payments.payment_totals", "payments.alembic_version"}
INSUFFICIENT_PRIVILEGE = "42501"


def access_matrix() -> Iterator[tuple[str, str, bool, bool]]:
    """(role, table, may read, may write) for every process role and every table of every schema."""
    for role in TABLES:
        for schema, tables in TABLES.items():
            for table in tables:
                name = f"{schema}.{table}"
                own = schema == role
                may_read = own or (role == "gateway" and name in READ_SIDES)
                yield role, name, may_read, own and table != "alembic_version" and name not in APPEND_ONLY


MATRIX = list(access_matrix())


@pytest.fixture
def roles(database_url: str, role_prefix: str) -> ProcessRoles:
    """The template's roles, as `payflow setup` names them for this test's settings."""
    env = {"PAYFLOW_DATABASE_URL": database_url, "PAYFLOW_DATABASE_ROLE_PREFIX": role_prefix}
    return process_roles(Settings.from_env(env))


@pytest.fixture
def role_engines(engine: Engine, database_url: str, roles: ProcessRoles) -> Iterator[dict[str, Engine]]:
    """An engine per process role, after the grants `payflow setup` makes."""
    secure_database(engine, roles)
    engines = {
        role: create_engine(role_url(database_url, roles.name(role)), isolation_level="AUTOCOMMIT")
        for role in TABLES
    }
    yield engines
    for role_engine in engines.values():
        role_engine.dispose()


def allowed(engine: Engine, statement: str) -> bool:
    """True when the role may run `statement` (rolled back either way); False on insufficient privilege."""
    with engine.connect() as conn, conn.begin() as tx:
        try:
            conn.execute(text(statement))
        except ProgrammingError as exc:
            if getattr(exc.orig, "pgcode", None) != INSUFFICIENT_PRIVILEGE:
                raise
            return False
        finally:
            tx.rollback()
    return True


def test_each_role_reads_and_writes_exactly_what_the_access_matrix_says(
    role_engines: dict[str, Engine],
) -> None:
    found = [
        (
            role,
            table,
            allowed(role_engines[role], f"SELECT 1 FROM {table} LIMIT 0"),
            allowed(role_engines[role], f"DELETE FROM {table} WHERE false"),
        )
        for role, table, _, _ in MATRIX
    ]

    assert found == MATRIX


def test_a_role_cannot_insert_into_another_modules_table(role_engines: dict[str, Engine]) -> None:
    probes = {"orders": "payments.payments", "payments": "orders.orders", "gateway": "orders.orders"}

    refused = {
        role: not allowed(role_engines[role], f"INSERT INTO {table} DEFAULT VALUES")
        for role, table in probes.items()
    }

    assert refused == {"orders": True, "payments": True, "gateway": True}


def record_a_command(engine: Engine) -> None:
    SqlCommandStore(engine).record(*creation(key="k-role"))


def append_a_payment_event(engine: Engine) -> None:
    with engine.begin() as conn:
        append_events(conn, payments.OUTBOX, [OrderCancelled(order_id=uuid.uuid4()).to_envelope("corr-role")])


@pytest.mark.parametrize(
    ("role", "write"), [("gateway", record_a_command), ("payments", append_a_payment_event)]
)
def test_a_role_writes_its_outbox_and_no_trigger_notifies_anyone(
    engine: Engine, role_engines: dict[str, Engine], role: str, write: Callable[[Engine], None]
) -> None:
    table = {"gateway": "gateway.commands", "payments": "payments.outbox"}[role]

    write(role_engines[role])

    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT count(*) FROM {table} WHERE published_at IS NULL")).scalar_one()
        # A NOTIFY would hold a cluster-wide lock through every writer's commit (gateway_0004).
        triggers = conn.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"),
            {"t": table},
        ).scalars()
        assert (rows, list(triggers)) == (1, [])


def test_the_gateway_role_can_check_every_schemas_migrations(role_engines: dict[str, Engine]) -> None:
    assert pending_migrations(role_engines["gateway"]) == []


def test_granting_twice_changes_nothing(
    engine: Engine, roles: ProcessRoles, role_engines: dict[str, Engine]
) -> None:
    secure_database(engine, roles)

    assert allowed(role_engines["orders"], "SELECT 1 FROM orders.orders LIMIT 0")
    assert not allowed(role_engines["orders"], "SELECT 1 FROM payments.payments LIMIT 0")


def test_setup_gives_a_role_the_password_of_its_process_url(engine: Engine, roles: ProcessRoles) -> None:
    stored = text("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = :role")

    secure_database(engine, roles, {roles.name("orders"): "orders-pa55"})
    try:
        with engine.connect() as conn:
            has_password = conn.execute(stored, {"role": roles.name("orders")}).scalar_one()
    finally:
        with engine.begin() as conn:  # roles are shared by the whole cluster, which trusts local users
            conn.execute(text(f'ALTER ROLE "{roles.name("orders")}" PASSWORD NULL'))

    assert has_password is True
