"""One payment_totals row per status instead of 64 shards; the outbox NOTIFYs its relays by itself.

Shards spread the totals over rows because every event used to commit on its own, so concurrent
transactions queued on the same row. The worker now applies a batch of events per transaction, so each
transaction moves each total once and a single row per status is enough. A statement-level trigger on
the outbox sends the relays' wake-up, delivered when the inserting transaction commits.

Revision ID: payments_0004
Revises: payments_0003
Create Date: 2026-11-29
"""

from alembic import op

revision = "payments_0004"
down_revision = "payments_0003"
branch_labels = None
depends_on = None

SCHEMA = "payments"

# Net change per status of one statement (new rows count up, old rows down); zero nets are skipped.
_APPLY = f"""
    INSERT INTO {SCHEMA}.payment_totals AS t (status, n, amount)
    SELECT status, sum(n), sum(amount) FROM ({{changes}}) AS change (status, n, amount)
    GROUP BY status HAVING sum(n) <> 0 OR sum(amount) <> 0 ORDER BY status
    ON CONFLICT (status) DO UPDATE SET n = t.n + excluded.n, amount = t.amount + excluded.amount;
"""
_NEW = "SELECT status, 1, amount FROM new_rows"
_OLD = "SELECT status, -1, -amount FROM old_rows"
_FUNCTIONS = {
    "payment_totals_inserted": _APPLY.format(changes=_NEW),
    "payment_totals_updated": _APPLY.format(changes=f"{_NEW} UNION ALL {_OLD}"),
    "payment_totals_deleted": _APPLY.format(changes=_OLD),
}


def upgrade() -> None:
    # Writers wait from here to the commit, so the recount and the triggers see the same rows.
    op.execute(f"LOCK TABLE {SCHEMA}.payments IN SHARE ROW EXCLUSIVE MODE")
    op.execute(f"DELETE FROM {SCHEMA}.payment_totals")
    op.drop_constraint("pk_payment_totals", "payment_totals", schema=SCHEMA)
    op.drop_column("payment_totals", "shard", schema=SCHEMA)
    op.create_primary_key("pk_payment_totals", "payment_totals", ["status"], schema=SCHEMA)
    op.execute(
        f"INSERT INTO {SCHEMA}.payment_totals (status, n, amount) "
        f"SELECT status, count(*), sum(amount) FROM {SCHEMA}.payments GROUP BY status"
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {SCHEMA}.{name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {body} RETURN NULL; END $$"
        )
    op.execute(
        f"CREATE FUNCTION {SCHEMA}.outbox_wake_relays() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN PERFORM pg_notify('outbox_{SCHEMA}', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER outbox_wake_relays AFTER INSERT ON {SCHEMA}.outbox "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.outbox_wake_relays()"
    )


def downgrade() -> None:
    raise NotImplementedError("payments_0004 cannot bring the 64 shards back")
