"""Least privilege: each process's database role reaches only its own schema (gateway: also read sides)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import ProgrammingError

from app.persistence.migrations import pending_migrations
from app.persistence.roles import role_url, secure_database

pytestmark = pytest.mark.integration

TABLES = {
    "gateway": ("commands", "outbox", "alembic_version"),
    "orders": ("orders", "order_history", "order_counts", "processed_events", "alembic_version"),
    "payments": (
        "payments",
        "payment_history",
        "payment_totals",
        "processed_events",
        "cancelled_orders",
        "outbox",
        "alembic_version",
    ),
}
# What the gateway may read beyond its own schema: the modules' read sides and their migration state.
READ_SIDES = {"orders.orders", "payments.payments", "orders.alembic_version", "payments.alembic_version"}
READ_SIDES |= {"orders.order_counts", "payments.payment_totals"}  # the totals the read side sums
INSUFFICIENT_PRIVILEGE = "42501"


def access_matrix() -> Iterator[tuple[str, str, bool, bool]]:
    """(role, table, may read, may write) for every process role and every table of every schema."""
    for role in TABLES:
        for schema, tables in TABLES.items():
            for table in tables:
                name = f"{schema}.{table}"
                own = schema == role
                may_read = own or (role == "gateway" and name in READ_SIDES)
                yield role, name, may_read, own and table != "alembic_version"


MATRIX = list(access_matrix())


@pytest.fixture(scope="module")
def role_engines(migrated_engine: Engine, database_url: str) -> Iterator[dict[str, Engine]]:
    secure_database(migrated_engine)
    engines = {role: create_engine(role_url(database_url, role)) for role in TABLES}
    yield engines
    for engine in engines.values():
        engine.dispose()


def allowed(engine: Engine, statement: str) -> bool:
    """True when the role may run `statement` (rolled back either way); False on insufficient privilege."""
    with engine.connect() as conn:
        try:
            conn.execute(text(statement))
        except ProgrammingError as exc:
            if getattr(exc.orig, "pgcode", None) != INSUFFICIENT_PRIVILEGE:
                raise
            return False
        finally:
            conn.rollback()
    return True


@pytest.mark.parametrize(("role", "table", "may_read", "may_write"), MATRIX)
def test_a_role_reads_only_its_own_schema_and_for_the_gateway_the_read_sides(
    role_engines: dict[str, Engine], role: str, table: str, may_read: bool, may_write: bool
) -> None:
    readable = allowed(role_engines[role], f"SELECT 1 FROM {table} LIMIT 0")

    assert readable is may_read


@pytest.mark.parametrize(("role", "table", "may_read", "may_write"), MATRIX)
def test_a_role_writes_only_the_tables_of_its_own_schema(
    role_engines: dict[str, Engine], role: str, table: str, may_read: bool, may_write: bool
) -> None:
    deletable = allowed(role_engines[role], f"DELETE FROM {table} WHERE false")

    assert deletable is may_write


def test_a_role_cannot_insert_into_another_modules_table(role_engines: dict[str, Engine]) -> None:
    probes = {"orders": "payments.payments", "payments": "orders.orders", "gateway": "orders.orders"}

    refused = {
        role: not allowed(role_engines[role], f"INSERT INTO {table} DEFAULT VALUES")
        for role, table in probes.items()
    }

    assert refused == {"orders": True, "payments": True, "gateway": True}


def test_the_gateway_role_can_check_every_schemas_migrations(role_engines: dict[str, Engine]) -> None:
    assert pending_migrations(role_engines["gateway"]) == []


def test_granting_twice_changes_nothing(migrated_engine: Engine, role_engines: dict[str, Engine]) -> None:
    secure_database(migrated_engine)

    assert allowed(role_engines["orders"], "SELECT 1 FROM orders.orders LIMIT 0")
    assert not allowed(role_engines["orders"], "SELECT 1 FROM payments.payments LIMIT 0")


def test_setup_gives_a_role_the_password_of_its_process_url(migrated_engine: Engine) -> None:
    stored = text("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'payflow_orders'")

    secure_database(migrated_engine, {"payflow_orders": "orders-pa55"})
    with migrated_engine.connect() as conn:
        has_password = conn.execute(stored).scalar_one()
        conn.execute(
            text('ALTER ROLE "payflow_orders" PASSWORD NULL')
        )  # the shared cluster trusts local users
        conn.commit()

    assert has_password is True
