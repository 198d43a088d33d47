"""The outbox no longer NOTIFYs the relays: the worker that commits events wakes its own relay.

A transaction that calls NOTIFY takes a lock shared by the whole cluster before it commits and keeps it
until its commit is on disk, so every notifying commit (these and the gateway's) waited on the one before.
The relays poll every second for rows nobody woke them for.

Revision ID: payments_0005
Revises: payments_0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "payments_0005"
down_revision = "payments_0004"
branch_labels = None
depends_on = None

SCHEMA = "payments"


def upgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS outbox_wake_relays ON {SCHEMA}.outbox")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.outbox_wake_relays()")


def downgrade() -> None:
    op.execute(
        f"CREATE FUNCTION {SCHEMA}.outbox_wake_relays() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN PERFORM pg_notify('outbox_{SCHEMA}', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER outbox_wake_relays AFTER INSERT ON {SCHEMA}.outbox "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.outbox_wake_relays()"
    )
