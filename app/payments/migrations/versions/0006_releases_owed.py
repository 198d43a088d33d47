"""Releases owed: payments the sweeper failed, kept until the provider has given back what they may hold.

The sweeper of payments_0005 found them from the payments themselves: FAILED with reason provider_timeout,
no `released_after_timeout` history line, failed in the last seven days. Those are owed from the start.
Stop the old sweepers before migrating: one still running fails payments without owing their release.

Revision ID: payments_0006
Revises: payments_0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "payments_0006"
down_revision = "payments_0005"
branch_labels = None
depends_on = None

SCHEMA = "payments"


def upgrade() -> None:
    op.create_table(
        "releases_owed",
        sa.Column("payment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=True), nullable=False),
        sa.Column("owed_since", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.execute(
        f"INSERT INTO {SCHEMA}.releases_owed (payment_id, order_id, owed_since) "
        f"SELECT p.id, p.order_id, p.updated_at FROM {SCHEMA}.payments p "
        "WHERE p.status = 'FAILED' AND p.reason = 'provider_timeout' "
        "AND p.updated_at > now() - interval '7 days' "
        f"AND NOT EXISTS (SELECT 1 FROM {SCHEMA}.payment_history h "
        "WHERE h.payment_id = p.id AND h.reason = 'released_after_timeout')"
    )


def downgrade() -> None:
    op.drop_table("releases_owed", schema=SCHEMA)
