"""Each accepted command carries the event it emits: the commands table becomes the gateway's outbox.

Also: `request_hash` is stored only for commands sent with an idempotency key, and `response_body` is
the exact JSON text answered (jsonb does not keep key order, so a replay could differ byte-wise).

A command always emits exactly one event, so it is stored once, in one row written by one statement,
instead of a command row plus an outbox row. The relay publishes rows whose `published_at` is NULL; a
statement-level trigger NOTIFYs the relays whenever commands are inserted.

Commands accepted before this revision had their events in gateway.outbox, which this revision drops:
it refuses to run while that table still holds unpublished events (start the gateway once, so its relay
publishes them, then migrate again). Their rows are marked published and carry no event body, so they
cannot be re-published.

Revision ID: gateway_0002
Revises: gateway_0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    waiting = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM {SCHEMA}.outbox WHERE published_at IS NULL")
    )
    if count := waiting.scalar_one():
        raise RuntimeError(
            f"gateway_0002: {count} event(s) in {SCHEMA}.outbox are not published yet; run the gateway until "
            "its relay has published them, then migrate again"
        )
    op.execute(
        f"ALTER TABLE {SCHEMA}.commands ADD COLUMN seq bigserial NOT NULL, ADD COLUMN event_id uuid, "
        "ADD COLUMN event_type varchar(100), ADD COLUMN correlation_id varchar(200), ADD COLUMN body text, "
        "ADD COLUMN published_at timestamptz"
    )
    op.execute(f"UPDATE {SCHEMA}.commands SET published_at = created_at")
    # Only a command sent with an idempotency key needs the hash of its request (to compare a retry with).
    op.alter_column("commands", "request_hash", nullable=True, schema=SCHEMA)
    # A replay sends this text as is, byte for byte the first answer.
    op.alter_column(
        "commands", "response_body", type_=sa.Text, postgresql_using="response_body::text", schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_commands_event_kept", "commands", "body IS NOT NULL OR published_at IS NOT NULL", schema=SCHEMA
    )
    op.create_unique_constraint("uq_commands_event_id", "commands", ["event_id"], schema=SCHEMA)
    op.create_unique_constraint("uq_commands_seq", "commands", ["seq"], schema=SCHEMA)
    op.create_index(
        "ix_commands_unpublished",
        "commands",
        ["seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema=SCHEMA)
    op.execute(
        f"CREATE FUNCTION {SCHEMA}.outbox_wake_relays() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN PERFORM pg_notify('outbox_{SCHEMA}', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER outbox_wake_relays AFTER INSERT ON {SCHEMA}.commands "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.outbox_wake_relays()"
    )


def downgrade() -> None:
    raise NotImplementedError("gateway_0002 does not bring gateway.outbox back")
