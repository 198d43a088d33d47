"""The payments schema as Core tables: payments, history, per-status totals, tombstones, outbox, inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from app.payments.domain import PaymentStatus
from app.persistence import inbox_table, outbox_table

SCHEMA = "payments"

metadata = MetaData(schema=SCHEMA)

_STATUSES = ", ".join(f"'{status.value}'" for status in PaymentStatus)

payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("amount", Numeric(12, 2, asdecimal=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("correlation_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("order_id", name="uq_payments_order_id"),  # exactly one payment per order, ever
    CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
    CheckConstraint(f"status IN ({_STATUSES})", name="ck_payments_status_known"),
)
Index("ix_payments_created", payments.c.created_at.desc(), payments.c.id.desc())
Index("ix_payments_status_created", payments.c.status, payments.c.created_at.desc(), payments.c.id.desc())
Index(
    "ix_payments_processing_updated",
    payments.c.updated_at,
    postgresql_where=payments.c.status == PaymentStatus.PROCESSING.value,
)

payment_history = Table(
    "payment_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("payment_id", UUID(as_uuid=True), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("event_id", UUID(as_uuid=True)),
    Column("event_type", String(100), nullable=False),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_payment_history_payment", payment_history.c.payment_id, payment_history.c.id)

# Maintained by triggers on `payments` (migration payments_0002): sums over shards are the totals.
payment_totals = Table(
    "payment_totals",
    metadata,
    Column("status", String(16), nullable=False),
    Column("shard", SmallInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("amount", Numeric(20, 2, asdecimal=True), nullable=False),
    PrimaryKeyConstraint("status", "shard", name="pk_payment_totals"),
)

cancelled_orders = Table(
    "cancelled_orders",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
processed_events = inbox_table(metadata)
