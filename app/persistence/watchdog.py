"""The statement-timeout watchdog: its role, and its one statement stopping sessions past their limit."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# A role's own `SET statement_timeout = 0` lifts the limit `ALTER ROLE ... SET` gave it; PostgreSQL cannot
# forbid that, so another role enforces it: `<prefix>_watchdog` sees every session's state
# (pg_read_all_stats) and may signal non-superuser backends (pg_signal_backend). It holds no privilege on
# any schema or table and is a member of no module role, so it never reaches their data.
WATCHDOG = "watchdog"
WATCHDOG_RIGHTS = ("pg_signal_backend", "pg_read_all_stats")
WATCHDOG_CONNECTION_LIMIT = 3  # one per watched server, and room for a restart's overlap
# Still running this long past its limit: the cancel did not stop it. Idle in a transaction this long past
# it: not a relay waiting for the broker's confirms, which holds its transaction for up to 10 s.
TERMINATE_AFTER_MS = 10_000
_INSUFFICIENT_PRIVILEGE = "42501"

# Per session of a watched role in this database: how long it has been active (or idle in a transaction)
# and what to do. The signals are in the select list, so they run only for the rows the WHERE keeps.
_SWEEP = text(
    """
    WITH watched AS (
        SELECT * FROM unnest(CAST(:roles AS text[]), CAST(:limits_ms AS bigint[])) AS w(role, limit_ms)
    ), sessions AS (
        SELECT a.pid, a.usename AS role, a.state, w.limit_ms,
               1000 * extract(epoch FROM clock_timestamp()
                   - CASE a.state WHEN 'active' THEN a.query_start ELSE a.state_change END) AS age_ms
        FROM pg_stat_activity AS a JOIN watched AS w ON a.usename = w.role
        WHERE a.datname = current_database() AND a.backend_type = 'client backend'
          AND (a.state = 'active' OR a.state LIKE 'idle in transaction%')
    ), judged AS (
        SELECT *, CASE
            WHEN age_ms > limit_ms + :terminate_after_ms THEN 'terminate'  -- active or idle in a transaction
            WHEN state = 'active' AND age_ms > limit_ms + :cancel_after_ms THEN 'cancel'
        END AS action
        FROM sessions
    )
    SELECT pid, role, state, action, CAST(age_ms AS bigint) AS age_ms, limit_ms,
           CASE action WHEN 'cancel' THEN pg_cancel_backend(pid) ELSE pg_terminate_backend(pid) END AS done
    FROM judged WHERE action IS NOT NULL
    """
)


@dataclass(frozen=True)
class Limits:
    """What the watchdog holds each role (by name) to, and the grace it gives before cancelling (one pass,
    so the role's own timeout fires first) and before ending the session (the cancel did not work)."""

    timeouts_ms: Mapping[str, int]
    cancel_after_ms: int
    terminate_after_ms: int = TERMINATE_AFTER_MS

    def parameters(self) -> dict[str, object]:
        return {
            "roles": list(self.timeouts_ms),
            "limits_ms": list(self.timeouts_ms.values()),
            "cancel_after_ms": self.cancel_after_ms,
            "terminate_after_ms": self.terminate_after_ms,
        }


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


def sweep(engine: Engine, limits: Limits) -> list[Stopped]:
    """One pass: signal every session of the watched roles in this database that outlasts its limit."""
    with engine.begin() as conn:
        rows = conn.execute(_SWEEP, limits.parameters()).mappings().all()
    return [Stopped(**row) for row in rows]


def grant_watchdog_rights(conn: Connection, watchdog: str) -> None:
    """Make `watchdog` a member of the predefined roles it needs; without the right to, warn and go on."""
    rights = ", ".join(WATCHDOG_RIGHTS)
    try:
        with conn.begin_nested():
            conn.execute(text(f'GRANT {rights} TO "{watchdog}"'))
    except DBAPIError as exc:
        if getattr(exc.orig, "pgcode", None) != _INSUFFICIENT_PRIVILEGE:
            raise
        log.warning(
            "cannot grant %s to %s (needs a superuser or their ADMIN OPTION): `payflow watchdog` will stop "
            "nothing, and the roles' statement timeouts are defaults they can lift",
            rights,
            watchdog,
        )
