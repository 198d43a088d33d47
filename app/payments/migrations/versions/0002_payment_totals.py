"""Keep per-status payment counts and amounts in payments.payment_totals, maintained by triggers.

The stats and `meta.total` read these few rows instead of scanning every payment. The triggers run
inside the writing statement, so every insert, status change or delete (by the handlers, the sweeper,
the benchmark's bulk seed or an operator's SQL) moves the totals in the same transaction. Each
transaction adds its deltas to one of SHARDS rows per status (picked by its transaction id), so
concurrent writers rarely wait on the same row. Backfilled from the payments already stored.

Revision ID: payments_0002
Revises: payments_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0002"
down_revision = "payments_0001"
branch_labels = None
depends_on = None

SCHEMA = "payments"
SHARDS = 16

# Net change per status of one statement (new rows count up, old rows down); zero nets are skipped.
_APPLY = f"""
    INSERT INTO {SCHEMA}.payment_totals AS t (status, shard, n, amount)
    SELECT status, (txid_current() % {SHARDS})::smallint, sum(n), sum(amount)
    FROM ({{changes}}) AS change (status, n, amount)
    GROUP BY status
    HAVING sum(n) <> 0 OR sum(amount) <> 0
    ORDER BY status
    ON CONFLICT (status, shard) DO UPDATE SET n = t.n + excluded.n, amount = t.amount + excluded.amount;
"""
_NEW = "SELECT status, 1, amount FROM new_rows"
_OLD = "SELECT status, -1, -amount FROM old_rows"
_FUNCTIONS = {
    "payment_totals_inserted": _APPLY.format(changes=_NEW),
    "payment_totals_updated": _APPLY.format(changes=f"{_NEW} UNION ALL {_OLD}"),
    "payment_totals_deleted": _APPLY.format(changes=_OLD),
    "payment_totals_truncated": f"DELETE FROM {SCHEMA}.payment_totals;",
}
_ON = f"ON {SCHEMA}.payments REFERENCING"
_TRIGGERS = {
    "payment_totals_inserted": f"INSERT {_ON} NEW TABLE AS new_rows",
    "payment_totals_updated": f"UPDATE {_ON} OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "payment_totals_deleted": f"DELETE {_ON} OLD TABLE AS old_rows",
    "payment_totals_truncated": f"TRUNCATE ON {SCHEMA}.payments",
}


def upgrade() -> None:
    op.create_table(
        "payment_totals",
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("shard", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.Numeric(20, 2), nullable=False),
        sa.PrimaryKeyConstraint("status", "shard", name="pk_payment_totals"),
        schema=SCHEMA,
    )
    # Writers wait from here to the commit, so the backfill and the triggers see the same rows.
    op.execute(f"LOCK TABLE {SCHEMA}.payments IN SHARE ROW EXCLUSIVE MODE")
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
        f"INSERT INTO {SCHEMA}.payment_totals (status, shard, n, amount) "
        f"SELECT status, 0, count(*), sum(amount) FROM {SCHEMA}.payments GROUP BY status"
    )


def downgrade() -> None:
    for name in _FUNCTIONS:
        op.execute(f"DROP TRIGGER {name} ON {SCHEMA}.payments")
        op.execute(f"DROP FUNCTION {SCHEMA}.{name}()")
    op.drop_table("payment_totals", schema=SCHEMA)
