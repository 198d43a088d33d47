"""Applies each module's own Alembic history to its own schema, creating database and schemas when missing."""

import importlib.resources
from collections.abc import Sequence

from alembic import command
from alembic import context as alembic_context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.persistence.engine import build_engine, normalize_url

# (schema, package holding migrations/) in the order they are applied.
MODULE_SCHEMAS: Sequence[tuple[str, str]] = (
    ("gateway", "app.gateway"),
    ("orders", "app.orders"),
    ("payments", "app.payments"),
)
VERSION_TABLE = "alembic_version"


def ensure_database(url: str, *, connect_timeout_s: int = 2, dead_after_s: int = 10) -> bool:
    """Create the database named in `url` when it does not exist; True when it was created. Its connection
    has the limits of every engine: a server that does not answer fails it, never hangs it."""
    parsed = make_url(normalize_url(url))
    admin_url = parsed.set(database="postgres").render_as_string(hide_password=False)
    limits = {"connect_timeout_s": connect_timeout_s, "dead_after_s": dead_after_s}
    admin = build_engine(admin_url, application_name="payflow-setup", pool_size=1, autocommit=True, **limits)
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            return exists is None
    finally:
        admin.dispose()


def alembic_config(engine: Engine, schema: str, package: str) -> Config:
    """An in-memory Alembic config for one module: its script folder and its own version table."""
    config = Config()
    config.set_main_option("script_location", str(importlib.resources.files(package) / "migrations"))
    config.attributes["engine"] = engine
    config.attributes["schema"] = schema
    return config


def upgrade_all(engine: Engine) -> None:
    """Bring every module's schema to its newest revision; running it twice changes nothing."""
    for schema, package in MODULE_SCHEMAS:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        command.upgrade(alembic_config(engine, schema, package), "head")


def pending_migrations(engine: Engine) -> list[str]:
    """Schemas whose applied revision is not their newest one (empty when all are current)."""
    behind = []
    with engine.connect() as conn:
        for schema, package in MODULE_SCHEMAS:
            head = ScriptDirectory.from_config(alembic_config(engine, schema, package)).get_current_head()
            context = MigrationContext.configure(
                conn, opts={"version_table_schema": schema, "version_table": VERSION_TABLE}
            )
            if context.get_current_revision() != head:
                behind.append(schema)
    return behind


def run_env() -> None:
    """Body of every module's migrations/env.py: run online against the engine handed over in the config."""
    config = alembic_context.config
    engine: Engine = config.attributes["engine"]
    schema: str = config.attributes["schema"]
    with engine.connect() as conn:
        alembic_context.configure(
            connection=conn,
            version_table_schema=schema,
            version_table=VERSION_TABLE,
            transaction_per_migration=True,
        )
        with alembic_context.begin_transaction():
            alembic_context.run_migrations()
        conn.commit()
