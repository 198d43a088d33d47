"""What setup does, step by step, against the configured PostgreSQL and RabbitMQ."""

from __future__ import annotations

import logging

from app.bootstrap import process_urls
from app.bus import declare_topology_at
from app.config import Settings
from app.persistence import build_engine, redact_url
from app.persistence.migrations import ensure_database, upgrade_all
from app.persistence.roles import role_passwords, secure_database

log = logging.getLogger("payflow.setup")


def prepare(settings: Settings) -> None:
    """Create the database when missing, apply migrations, declare the topology."""
    if ensure_database(settings.database_url):
        log.info("created database %s", redact_url(settings.database_url))
    apply_migrations(settings)
    declare(settings)


def apply_migrations(settings: Settings) -> None:
    engine = build_engine(settings.database_url, application_name="payflow-migrate")
    try:
        upgrade_all(engine)
        # Re-granted after every migration, so new tables are covered too.
        secure_database(engine, role_passwords(process_urls(settings)))
    finally:
        engine.dispose()
    log.info("migrations applied on %s", redact_url(settings.database_url))


def declare(settings: Settings) -> None:
    declare_topology_at(settings.broker_url, settings.retry_delays_ms)
    log.info("broker topology declared on %s", redact_url(settings.broker_url))
