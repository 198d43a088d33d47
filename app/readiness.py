"""What the gateway's readiness probe reports: database, broker, migrations, and where reads go."""

from typing import Any

from sqlalchemy import Engine

from app import bus
from app.persistence import ReadRouter, database_problem
from app.persistence.migrations import pending_migrations


def gateway_readiness(engine: Engine, broker_url: str, router: ReadRouter | None) -> dict[str, Any]:
    """What each dependency says: "ok" or the reason it is not usable; and where reads go, if a replica
    is configured (a replica down is no reason to be unready: reads go to the primary meanwhile)."""
    database = database_problem(engine)
    behind = "" if database else ", ".join(pending_migrations(engine))
    return {
        "database": database or "ok",
        "broker": bus.broker_problem(broker_url) or "ok",
        "migrations": "unknown" if database else f"pending for schemas: {behind}" if behind else "ok",
    } | ({"replica": router.state} if router else {})
