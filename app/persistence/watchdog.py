"""The statement-timeout watchdog's one function: stop our roles' sessions past their limit, nothing else."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

# A role's own `SET statement_timeout = 0` lifts the limit `ALTER ROLE ... SET` gave it; PostgreSQL cannot
# forbid that, so another role enforces it. Seeing every session and signalling another role's backend
# takes pg_read_all_stats and pg_signal_backend, which reach far beyond our roles (other tenants' sessions,
# every query's text). So setup's own user, which holds them, defines SWEEP as SECURITY DEFINER with our
# roles and limits written into it, and `<prefix>_watchdog` may only EXECUTE it: it holds no right of its
# own, cannot choose whom to stop, and never sees a query.
WATCHDOG = "watchdog"
WATCHDOG_CONNECTION_LIMIT = 3  # one per watched server, and room for a restart's overlap
SWEEP = "public.payflow_watchdog_sweep"
# A session idle in a transaction this long past its limit is ended. Not sooner: an outbox relay keeps its
# transaction open while the broker confirms a batch (up to 10 s, app.bus.publisher.CONFIRM_TIMEOUT_S).
IDLE_GRACE_MS = 15_000
_RIGHTS = ("pg_read_all_stats", "pg_signal_backend")
# Active statements past limit + cancel grace are cancelled (every pass until they stop; a session is never
# ended mid-statement: a COMMIT waiting for a synchronous standby would look failed to its client).
_BODY = """
    WITH watched(role, limit_ms) AS (VALUES {watched}), sessions AS (
        SELECT a.pid, CAST(a.usename AS text) AS role, a.state, CAST(w.limit_ms AS bigint) AS limit_ms,
               CAST(1000 * extract(epoch FROM clock_timestamp() - CASE a.state WHEN 'active'
                   THEN a.query_start ELSE a.state_change END) AS bigint) AS age_ms
        FROM pg_catalog.pg_stat_activity AS a JOIN watched AS w ON a.usename = w.role
        WHERE a.datname = current_database() AND a.backend_type = 'client backend'
    ), judged AS (
        SELECT *, CASE
            WHEN state = 'active' AND age_ms > limit_ms + {cancel_after_ms} THEN 'cancel'
            WHEN state IN ('idle in transaction', 'idle in transaction (aborted)')
                AND age_ms > limit_ms + {idle_after_ms} THEN 'terminate'
        END AS action
        FROM sessions
    )
    SELECT pid, role, state, action, age_ms, limit_ms,
           CASE action WHEN 'cancel' THEN pg_cancel_backend(pid) ELSE pg_terminate_backend(pid) END
    FROM judged WHERE action IS NOT NULL
"""


@dataclass(frozen=True)
class Grace:
    """How long past its limit a role's statement is cancelled (one watchdog pass, so the role's own
    timeout fires first while in force) and its session ended when idle in a transaction."""

    cancel_after_ms: int
    idle_after_ms: int = IDLE_GRACE_MS


@dataclass(frozen=True)
class Stopped:
    """One session the watchdog signalled (`done`: whether the signal was sent)."""

    pid: int
    role: str
    state: str
    action: str
    age_ms: int
    limit_ms: int
    done: bool

    def describe(self) -> str:
        """One log line: never the query text, which holds the values inlined in it."""
        what = "the statement of" if self.action == "cancel" else "the session of"
        verb = {"cancel": "cancelled", "terminate": "terminated"}[self.action]
        verb = verb if self.done else f"could not signal ({self.action})"
        return (
            f"{verb} {what} {self.role} pid {self.pid}: {self.state} for {self.age_ms / 1000:.1f} s, "
            f"over its {self.limit_ms} ms statement timeout"
        )


def sweep(engine: Engine) -> list[Stopped]:
    """One pass: the sessions of our roles in this database that outlasted their limits, now signalled."""
    with engine.begin() as conn:
        rows = conn.execute(text(f"SELECT * FROM {SWEEP}()")).all()
    return [Stopped(*row) for row in rows]


def install_sweep(conn: Connection, watchdog: str, timeouts_ms: Mapping[str, int], grace: Grace) -> None:
    """(Re)define the sweep as setup's user, with `timeouts_ms` (role name -> limit) written into it, for
    `watchdog` alone to run; warn when that user lacks the rights the sweep needs."""
    watched = ", ".join(f"({_literal(role)}, {int(limit)})" for role, limit in timeouts_ms.items())
    body = _BODY.format(
        watched=watched, cancel_after_ms=int(grace.cancel_after_ms), idle_after_ms=int(grace.idle_after_ms)
    )
    columns = "pid integer, role text, state text, action text, age_ms bigint, limit_ms bigint, done boolean"
    conn.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {SWEEP}() RETURNS TABLE ({columns}) LANGUAGE sql VOLATILE"
        f" SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $sweep${body}$sweep$"
    )
    conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {SWEEP}() FROM PUBLIC")
    conn.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION {SWEEP}() TO "{watchdog}"')
    if not conn.execute(text(_MAY_SWEEP)).scalar_one():
        log.warning(
            "setup's user is neither a superuser nor a member of %s: `payflow watchdog` will stop nothing, "
            "and the roles' statement timeouts are defaults they can lift",
            " and ".join(_RIGHTS),
        )


_MAY_SWEEP = (
    "SELECT rolsuper OR (pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')"
    " AND pg_has_role(current_user, 'pg_signal_backend', 'USAGE')) FROM pg_roles WHERE rolname = current_user"
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
