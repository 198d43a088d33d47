"""The payments schema as Core tables: payments, history, totals, tombstones, releases owed, outbox, inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from app.payments.domain import PaymentStatus
from app.persistence import inbox_table, outbox_table

SCHEMA = "payments"

metadata = sa.MetaData(schema=SCHEMA)

_STATUSES = ", ".join(f"'{status.value}'" for status in PaymentStatus)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("order_id", UUID(as_uuid=True), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2, asdecimal=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("correlation_id", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("order_id", name="uq_payments_order_id"),  # exactly one payment per order, ever
    sa.CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
    sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_payments_status_known"),
)
sa.Index("ix_payments_created", payments.c.created_at.desc(), payments.c.id.desc())
sa.Index("ix_payments_status_created", payments.c.status, payments.c.created_at.desc(), payments.c.id.desc())
sa.Index(
    "ix_payments_processing_updated",
    payments.c.updated_at,
    postgresql_where=payments.c.status == PaymentStatus.PROCESSING.value,
)

payment_history = sa.Table(
    "payment_history",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
sa.Index("ix_payment_history_payment", payment_history.c.payment_id, payment_history.c.id)

# One row per status, kept by triggers on `payments` (migrations payments_0002, payments_0004): GET
# /api/payments/stats and the meta.total of GET /api/payments read it instead of scanning every payment.
payment_totals = sa.Table(
    "payment_totals",
    metadata,
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.Numeric(20, 2, asdecimal=True), nullable=False),
)

cancelled_orders = sa.Table(
    "cancelled_orders",
    metadata,
    sa.Column("order_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Payments the sweeper failed whose release at the provider has not gone through yet (payments_0006): a row
# is written with the FAILED move and deleted with the release's history note; refused ones go to the back.
releases_owed = sa.Table(
    "releases_owed",
    metadata,
    sa.Column("payment_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("order_id", UUID(as_uuid=True), nullable=False),
    sa.Column("owed_since", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
processed_events = inbox_table(metadata)
