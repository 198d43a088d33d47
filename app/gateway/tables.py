"""The gateway's own table in schema `gateway`: accepted commands, which are also its outbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CHAR, UUID

SCHEMA = "gateway"

metadata = sa.MetaData(schema=SCHEMA)

# One row per accepted command: its idempotency key, the answer given, and the one event it emits (the
# outbox columns seq ... published_at, read by the relay). The process that inserts a row wakes its own
# relay (SqlCommandStore); gateway_0004 dropped the NOTIFY trigger that did it before.
commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("order_id", UUID(as_uuid=True), nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    # Which API key sent it (see auth.key_id), "" with authentication off: idempotency keys are per API key.
    sa.Column("api_key_id", sa.String(16), nullable=False, server_default=""),
    sa.Column("request_hash", CHAR(64)),  # NULL without an idempotency key
    sa.Column("response_status", sa.Integer, nullable=False),
    sa.Column("response_body", sa.Text, nullable=False),  # the exact JSON text answered, replayed as is
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True, autoincrement=True),
    sa.Column("event_id", UUID(as_uuid=True), unique=True),
    sa.Column("event_type", sa.String(100)),
    sa.Column("correlation_id", sa.String(200)),
    sa.Column("body", sa.Text),  # NULL only for commands accepted before gateway_0002, already published
    # True only for a command from before gateway_0005 whose key an earlier command of the other kind holds.
    sa.Column("key_shared_across_kinds", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("kind IN ('create_order', 'cancel_order')", name="ck_commands_kind"),
    sa.Index("ix_commands_order_id", "order_id"),
    sa.Index("ix_commands_created_at", "created_at"),
)
# One command per idempotency key and API key, whatever its kind (gateway_0005 says why it is partial).
# NULL keys are distinct in PostgreSQL, so commands sent without a key never collide.
KEY_IS_UNIQUE = ~commands.c.key_shared_across_kinds
sa.Index(
    "uq_commands_api_key_idempotency_key",
    commands.c.api_key_id,
    commands.c.idempotency_key,
    unique=True,
    postgresql_where=KEY_IS_UNIQUE,
)
sa.Index("ix_commands_unpublished", commands.c.seq, postgresql_where=commands.c.published_at.is_(None))
