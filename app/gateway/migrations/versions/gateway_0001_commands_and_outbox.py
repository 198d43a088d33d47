"""Gateway schema: accepted commands (with idempotency keys) and the gateway's outbox.

Revision ID: gateway_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("order_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_hash", sa.CHAR(64), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=False),
        sa.Column("response_body", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('create_order', 'cancel_order')", name="ck_commands_kind"),
        # NULLs are distinct: commands sent without a key never conflict with each other.
        sa.UniqueConstraint("kind", "idempotency_key", name="uq_commands_kind_idempotency_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_commands_order_id", "commands", ["order_id"], schema=SCHEMA)
    op.create_index("ix_commands_created_at", "commands", ["created_at"], schema=SCHEMA)
    _create_outbox()


def _create_outbox() -> None:
    """Matches app.persistence.outbox_table(MetaData(schema="gateway")) column for column."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("event_id", name="outbox_event_id_key"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_gateway_outbox_unpublished",
        "outbox",
        ["seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index("ix_gateway_outbox_created_at", "outbox", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox", schema=SCHEMA)
    op.drop_table("commands", schema=SCHEMA)
