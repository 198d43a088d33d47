"""Alembic entry for the orders schema's migration history."""

from app.persistence.migrations import run_env

run_env()
