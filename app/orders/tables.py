"""The orders schema as SQLAlchemy Core tables: orders, their history, per-status counts and the inbox."""

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
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from app.orders.domain import OrderStatus
from app.persistence import inbox_table

SCHEMA = "orders"

metadata = MetaData(schema=SCHEMA)

_STATUSES = ", ".join(f"'{status.value}'" for status in OrderStatus)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("total", Numeric(12, 2, asdecimal=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("total > 0", name="ck_orders_total_positive"),
    CheckConstraint(f"status IN ({_STATUSES})", name="ck_orders_status_known"),
)
Index("ix_orders_created", orders.c.created_at.desc(), orders.c.id.desc())
Index("ix_orders_status_created", orders.c.status, orders.c.created_at.desc(), orders.c.id.desc())
Index("ix_orders_user_created", orders.c.user_id, orders.c.created_at.desc(), orders.c.id.desc())

order_history = Table(
    "order_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_order_history_order", order_history.c.order_id, order_history.c.id)

# Maintained by triggers on `orders` (migration orders_0002): the sum of `n` over shards is the count.
order_counts = Table(
    "order_counts",
    metadata,
    Column("status", String(16), nullable=False),
    Column("shard", SmallInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("status", "shard", name="pk_order_counts"),
)

processed_events = inbox_table(metadata)
