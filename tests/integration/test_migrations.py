"""Migrations build every module's schema from nothing, and running them again changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from app.persistence import build_engine
from app.persistence.migrations import MODULE_SCHEMAS, ensure_database, pending_migrations, upgrade_all
from tests.support.services import fresh_database

pytestmark = pytest.mark.integration


def _tables(url: str) -> dict[str, set[str]]:
    engine = build_engine(url, application_name="payflow-tests")
    try:
        inspector = inspect(engine)
        return {schema: set(inspector.get_table_names(schema=schema)) for schema, _ in MODULE_SCHEMAS}
    finally:
        engine.dispose()


def test_a_fresh_database_is_created_once_and_migrated_to_the_newest_revision() -> None:
    with fresh_database() as url:
        engine = build_engine(url, application_name="payflow-tests")

        upgrade_all(engine)

        assert ensure_database(url) is False
        assert pending_migrations(engine) == []
        tables = _tables(url)
        assert {"commands", "outbox", "alembic_version"} <= tables["gateway"]
        assert {"orders", "order_history", "processed_events", "alembic_version"} <= tables["orders"]
        assert {"payments", "payment_history", "cancelled_orders", "outbox"} <= tables["payments"]
        engine.dispose()


def test_migrating_an_up_to_date_database_again_leaves_it_unchanged() -> None:
    with fresh_database() as url:
        engine = build_engine(url, application_name="payflow-tests")
        upgrade_all(engine)
        before = _tables(url)

        upgrade_all(engine)

        assert _tables(url) == before
        assert pending_migrations(engine) == []
        engine.dispose()


def test_no_foreign_key_crosses_a_module_schema(migrated_engine: Engine) -> None:
    query = text(
        "SELECT tc.table_schema, ccu.table_schema FROM information_schema.table_constraints tc "
        "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
        "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema <> ccu.table_schema"
    )

    with migrated_engine.connect() as conn:
        crossing = conn.execute(query).all()

    assert crossing == []
