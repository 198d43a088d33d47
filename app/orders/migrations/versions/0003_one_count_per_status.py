"""One order_counts row per status instead of 16 shards.

Shards spread the counters over rows because every event used to commit on its own, so concurrent
transactions queued on the same counter row. Workers now apply a batch of events per transaction, so
each transaction moves each counter once and a single row per status is enough.

Revision ID: orders_0003
Revises: orders_0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None

SCHEMA = "orders"

# Net change per status of one statement: +1 for each new row, -1 for each old row; zero nets are skipped.
_APPLY = f"""
    INSERT INTO {SCHEMA}.order_counts AS c (status, n)
    SELECT status, sum(n) FROM ({{changes}}) AS change (status, n)
    GROUP BY status HAVING sum(n) <> 0 ORDER BY status
    ON CONFLICT (status) DO UPDATE SET n = c.n + excluded.n;
"""
_NEW = "SELECT status, 1 FROM new_rows"
_OLD = "SELECT status, -1 FROM old_rows"
_FUNCTIONS = {
    "order_counts_inserted": _APPLY.format(changes=_NEW),
    "order_counts_updated": _APPLY.format(changes=f"{_NEW} UNION ALL {_OLD}"),
    "order_counts_deleted": _APPLY.format(changes=_OLD),
}


def upgrade() -> None:
    # Writers wait from here to the commit, so the recount and the triggers see the same rows.
    op.execute(f"LOCK TABLE {SCHEMA}.orders IN SHARE ROW EXCLUSIVE MODE")
    op.execute(f"DELETE FROM {SCHEMA}.order_counts")
    op.drop_constraint("pk_order_counts", "order_counts", schema=SCHEMA)
    op.drop_column("order_counts", "shard", schema=SCHEMA)
    op.create_primary_key("pk_order_counts", "order_counts", ["status"], schema=SCHEMA)
    op.execute(
        f"INSERT INTO {SCHEMA}.order_counts (status, n) "
        f"SELECT status, count(*) FROM {SCHEMA}.orders GROUP BY status"
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {SCHEMA}.{name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {body} RETURN NULL; END $$"
        )


def downgrade() -> None:
    raise NotImplementedError("orders_0003 cannot bring the 16 shards back")
