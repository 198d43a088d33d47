"""The commands table no longer NOTIFYs the relays: the process that inserts a command wakes its own relay.

A transaction that calls NOTIFY takes a lock shared by the whole cluster before it commits and keeps it
until its commit is on disk, so the gateway's commits (one per accepted command) waited on each other's
disk flush instead of sharing one. The relays poll every second for rows nobody woke them for.

Revision ID: gateway_0004
Revises: gateway_0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "gateway_0004"
down_revision = "gateway_0003"
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS outbox_wake_relays ON {SCHEMA}.commands")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.outbox_wake_relays()")


def downgrade() -> None:
    op.execute(
        f"CREATE FUNCTION {SCHEMA}.outbox_wake_relays() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN PERFORM pg_notify('outbox_{SCHEMA}', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER outbox_wake_relays AFTER INSERT ON {SCHEMA}.commands "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.outbox_wake_relays()"
    )
