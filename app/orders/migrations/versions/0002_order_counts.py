"""Keep per-status order counts in orders.order_counts, maintained by triggers and backfilled from orders.

The read side answers `meta.total` from these counts instead of count(*) over the whole table. The
triggers run inside the writing statement, so every insert, status change or delete (by the handlers,
the benchmark's bulk seed or an operator's SQL) moves the counts in the same transaction. Each
transaction adds its deltas to one of SHARDS rows per status (picked by its transaction id), so
concurrent writers rarely wait on the same counter row.

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None

SCHEMA = "orders"
SHARDS = 16

# Net change per status of one statement: +1 for each new row, -1 for each old row; zero nets are skipped.
_APPLY = f"""
    INSERT INTO {SCHEMA}.order_counts AS c (status, shard, n)
    SELECT status, (txid_current() % {SHARDS})::smallint, sum(n)
    FROM ({{changes}}) AS change (status, n)
    GROUP BY status
    HAVING sum(n) <> 0
    ORDER BY status
    ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n;
"""
_NEW = "SELECT status, 1 FROM new_rows"
_OLD = "SELECT status, -1 FROM old_rows"
_FUNCTIONS = {
    "order_counts_inserted": _APPLY.format(changes=_NEW),
    "order_counts_updated": _APPLY.format(changes=f"{_NEW} UNION ALL {_OLD}"),
    "order_counts_deleted": _APPLY.format(changes=_OLD),
    "order_counts_truncated": f"DELETE FROM {SCHEMA}.order_counts;",
}
_ON = f"ON {SCHEMA}.orders REFERENCING"
_TRIGGERS = {
    "order_counts_inserted": f"INSERT {_ON} NEW TABLE AS new_rows",
    "order_counts_updated": f"UPDATE {_ON} OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "order_counts_deleted": f"DELETE {_ON} OLD TABLE AS old_rows",
    "order_counts_truncated": f"TRUNCATE ON {SCHEMA}.orders",
}


def upgrade() -> None:
    op.create_table(
        "order_counts",
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("shard", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("status", "shard", name="pk_order_counts"),
        schema=SCHEMA,
    )
    # Writers wait from here to the commit, so the backfill and the triggers see the same rows.
    op.execute(f"LOCK TABLE {SCHEMA}.orders IN SHARE ROW EXCLUSIVE MODE")
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {SCHEMA}.{name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {_TRIGGERS[name]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.{name}()"
        )
    op.execute(
        f"INSERT INTO {SCHEMA}.order_counts (status, shard, n) "
        f"SELECT status, 0, count(*) FROM {SCHEMA}.orders GROUP BY status"
    )


def downgrade() -> None:
    for name in _FUNCTIONS:
        op.execute(f"DROP TRIGGER {name} ON {SCHEMA}.orders")
        op.execute(f"DROP FUNCTION {SCHEMA}.{name}()")
    op.drop_table("order_counts", schema=SCHEMA)
