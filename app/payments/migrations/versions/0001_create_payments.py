"""Create the payments schema's tables: payments, history, cancelled-order tombstones, outbox and inbox.

Revision ID: payments_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "payments_0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "payments"
STATUSES = "'PROCESSING', 'APPROVED', 'DECLINED', 'FAILED', 'REFUNDED', 'CANCELLED'"


def upgrade() -> None:
    _create_payments()
    _create_history()
    _create_tombstones()
    _create_outbox()
    _create_inbox()


def downgrade() -> None:
    for table in ("processed_events", "outbox", "cancelled_orders", "payment_history", "payments"):
        op.drop_table(table, schema=SCHEMA)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _create_payments() -> None:
    op.create_table(
        "payments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.UniqueConstraint("order_id", name="uq_payments_order_id"),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_payments_status_known"),
        schema=SCHEMA,
    )
    newest_first = [sa.text("created_at DESC"), sa.text("id DESC")]
    op.create_index("ix_payments_created", "payments", newest_first, schema=SCHEMA)
    op.create_index("ix_payments_status_created", "payments", ["status", *newest_first], schema=SCHEMA)
    op.create_index(
        "ix_payments_processing_updated",
        "payments",
        ["updated_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'PROCESSING'"),
    )


def _create_history() -> None:
    op.create_table(
        "payment_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
        _timestamp("at"),
        schema=SCHEMA,
    )
    op.create_index("ix_payment_history_payment", "payment_history", ["payment_id", "id"], schema=SCHEMA)


def _create_tombstones() -> None:
    op.create_table(
        "cancelled_orders",
        sa.Column("order_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        _timestamp("at"),
        schema=SCHEMA,
    )


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _timestamp("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_payments_outbox_unpublished",
        "outbox",
        ["seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index("ix_payments_outbox_created_at", "outbox", ["created_at"], schema=SCHEMA)


def _create_inbox() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        _timestamp("processed_at"),
        schema=SCHEMA,
    )
