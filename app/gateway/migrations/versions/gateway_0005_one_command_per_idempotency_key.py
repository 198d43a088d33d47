"""An idempotency key names one command per API key, whatever its kind: reusing it for another is refused.

Until now keys were unique per (kind, API key), so one Idempotency-Key was accepted once for a create
and once more for a cancel. The new unique index is on (api_key_id, idempotency_key).

Commands accepted before this revision may already share a key across kinds (a create and a cancel,
at most one of each). The upgrade leaves them alone rather than failing or rewriting them: deleting
one would drop an accepted command (and its unpublished event), and clearing its key would turn a
retry of it into a 422 and lose the audit of what the client sent. Instead, of each such pair the later
command (by `seq`) gets `key_shared_across_kinds = true` and the unique index is partial, leaving those
rows out. The earlier command of the pair stays in the index, so no new command can take that key;
`SqlCommandStore.find` still replays each of the two to its own retry (it prefers the row whose
request hash matches). The marked rows are purged with the other published commands after
PAYFLOW_IDEMPOTENCY_TTL_H; a later revision can then drop the column and the partial predicate.

The table is locked from before the marking until the index is built (SHARE ROW EXCLUSIVE, then ADD
COLUMN's ACCESS EXCLUSIVE: reads wait too, for the length of one UPDATE and one index build over the
kept commands), so no command sharing a key can slip in between. The lock is asked with a 5 s
lock_timeout: behind a long transaction the migration fails and can be run again, rather than queueing
every request behind it. Gateways running the code from
before this revision insert with the old conflict target, which no longer exists: upgrade them with
the migration, as for gateway_0003. The downgrade always succeeds: keys unique per API key are unique
per (kind, API key) too.

Revision ID: gateway_0005
Revises: gateway_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0005"
down_revision = "gateway_0004"
branch_labels = None
depends_on = None

SCHEMA = "gateway"
OLD = "uq_commands_kind_api_key_idempotency_key"
NEW = "uq_commands_api_key_idempotency_key"
MARK_LATER_OF_SHARED_KEYS = f"""
UPDATE {SCHEMA}.commands later SET key_shared_across_kinds = true
WHERE later.idempotency_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM {SCHEMA}.commands earlier
    WHERE earlier.api_key_id = later.api_key_id
      AND earlier.idempotency_key = later.idempotency_key
      AND earlier.seq < later.seq
)
"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute(f"LOCK TABLE {SCHEMA}.commands IN SHARE ROW EXCLUSIVE MODE")
    op.add_column(
        "commands",
        sa.Column("key_shared_across_kinds", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    op.execute(MARK_LATER_OF_SHARED_KEYS)
    op.create_index(
        NEW,
        "commands",
        ["api_key_id", "idempotency_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("NOT key_shared_across_kinds"),
    )
    op.drop_constraint(OLD, "commands", schema=SCHEMA)


def downgrade() -> None:
    op.create_unique_constraint(OLD, "commands", ["kind", "api_key_id", "idempotency_key"], schema=SCHEMA)
    op.drop_index(NEW, "commands", schema=SCHEMA)
    op.drop_column("commands", "key_shared_across_kinds", schema=SCHEMA)
