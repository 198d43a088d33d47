"""Alembic entry for the gateway schema's migration history."""

from app.persistence.migrations import run_env

run_env()
