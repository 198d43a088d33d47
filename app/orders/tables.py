"""The orders schema as SQLAlchemy Core tables: orders, their history, per-status counts and the inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from app.orders.domain import OrderStatus
from app.persistence import inbox_table

SCHEMA = "orders"

metadata = sa.MetaData(schema=SCHEMA)

_STATUSES = ", ".join(f"'{status.value}'" for status in OrderStatus)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("total", sa.Numeric(12, 2, asdecimal=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("total > 0", name="ck_orders_total_positive"),
    sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_orders_status_known"),
)
sa.Index("ix_orders_created", orders.c.created_at.desc(), orders.c.id.desc())
sa.Index("ix_orders_status_created", orders.c.status, orders.c.created_at.desc(), orders.c.id.desc())
sa.Index("ix_orders_user_created", orders.c.user_id, orders.c.created_at.desc(), orders.c.id.desc())

order_history = sa.Table(
    "order_history",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("order_id", UUID(as_uuid=True), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
sa.Index("ix_order_history_order", order_history.c.order_id, order_history.c.id)

# One row per status, kept by triggers on `orders` (migrations orders_0002, orders_0003): GET /api/orders
# answers meta.total from it instead of counting the whole table.
order_counts = sa.Table(
    "order_counts",
    metadata,
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)

processed_events = inbox_table(metadata)
