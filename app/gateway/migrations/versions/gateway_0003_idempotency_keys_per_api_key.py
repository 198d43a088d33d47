"""Idempotency keys belong to the API key that sent them; each command records that key's id.

`api_key_id` is the first 12 hex digits of the sha256 digest configured for the API key (see
app.gateway.auth.key_id), "" when authentication is off. An idempotency key is unique per (kind, API key):
another client sending the same Idempotency-Key gets a command of its own, never the first client's answer.

Commands accepted before this revision get "": with authentication off nothing changes; with it on, a
retry of such a command under its API key is no longer recognised as one (keys are kept >= 24 h, so only
retries spanning the upgrade are affected).

Revision ID: gateway_0003
Revises: gateway_0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0003"
down_revision = "gateway_0002"
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column(
        "commands",
        sa.Column("api_key_id", sa.String(16), nullable=False, server_default=""),
        schema=SCHEMA,
    )
    op.create_unique_constraint(
        "uq_commands_kind_api_key_idempotency_key",
        "commands",
        ["kind", "api_key_id", "idempotency_key"],
        schema=SCHEMA,
    )
    op.drop_constraint("uq_commands_kind_idempotency_key", "commands", schema=SCHEMA)


def downgrade() -> None:
    """Refuses when two API keys used the same idempotency key: one namespace cannot hold both."""
    op.create_unique_constraint(
        "uq_commands_kind_idempotency_key", "commands", ["kind", "idempotency_key"], schema=SCHEMA
    )
    op.drop_constraint("uq_commands_kind_api_key_idempotency_key", "commands", schema=SCHEMA)
    op.drop_column("commands", "api_key_id", schema=SCHEMA)
