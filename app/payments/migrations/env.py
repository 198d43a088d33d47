"""Alembic entry for the payments schema's migration history."""

from app.persistence.migrations import run_env

run_env()
