"""Reads sent to a streaming replica while the last check found it usable, else to the primary."""

import logging
import math
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

log = logging.getLogger(__name__)

# Lag in bytes: the primary's flushed WAL position (read just before; the replica's last received one when
# the primary does not answer) minus what the replica has replayed. Lag in seconds: 0 once the replica has
# replayed that position, else how long ago the last transaction it replayed committed (pg's replay
# timestamp alone grows while the primary is idle, so it is only used while the replica is behind).
# `past_earlier`: it has replayed the position the previous check read on the primary.
_LAG = sa.text(
    """
    WITH here AS (SELECT coalesce(CAST(:primary AS pg_lsn), pg_last_wal_receive_lsn()) AS target,
                         pg_last_wal_replay_lsn() AS replayed)
    SELECT pg_is_in_recovery() AS recovering,
           pg_wal_lsn_diff(target, replayed) AS lag_bytes,
           coalesce(replayed >= CAST(:earlier AS pg_lsn), false) AS past_earlier,
           CASE WHEN replayed >= target THEN 0
                ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag_s
    FROM here
    """
)


@dataclass(frozen=True)
class ReplicaState:
    """What the last check found: where reads go, why not to the replica, and its lag (None: unknown)."""

    on_replica: bool
    problem: str | None = None
    lag_bytes: int | None = None
    lag_s: float | None = None

    @property
    def reads(self) -> str:
        return "replica" if self.on_replica else "primary"


class ReadRouter:
    """An engine for the query side: `connect()` opens a replica connection while the replica is usable,
    else a primary one. A failed connect to the replica switches reads to the primary at once (the
    retry of that read connects there); only `check`, run every second or so, switches them back."""

    def __init__(self, primary: sa.Engine, replica: sa.Engine, max_lag_s: float) -> None:
        self._primary, self._replica, self._max_lag_s = primary, replica, max_lag_s
        # On the primary until a check finds the replica usable: it may be promoted or far behind.
        self.state = ReplicaState(on_replica=False, problem="not checked yet")
        self._caught_up_at = -math.inf  # when the replica last held all the primary had (monotonic)
        self._earlier: tuple[str | None, float] = (None, -math.inf)  # the last check's primary position, when

    def connect(self) -> sa.Connection:
        if self.state.on_replica:
            try:
                return self._replica.connect()
            except DBAPIError as exc:  # the server refused or did not answer (not a full pool of our own)
                self._set(ReplicaState(False, _unreachable(exc)))
        return self._primary.connect()

    def check(self) -> ReplicaState:
        """Measure the replica's lag and send reads where they belong from now on."""
        earlier, earlier_at = self._earlier
        try:
            with self._replica.connect() as conn:
                asked_at, primary = time.monotonic(), self._primary_position()
                row = conn.execute(_LAG, {"primary": primary, "earlier": earlier}).one()
        except SQLAlchemyError as exc:
            return self._set(ReplicaState(False, _unreachable(exc)))
        lag_bytes, now = None if row.lag_bytes is None else max(0, int(row.lag_bytes)), time.monotonic()
        self._earlier = (primary, asked_at)
        # After a quiet spell the last replayed commit is old although the replica is barely behind, and
        # while WAL flows without commits (a bulk load, a vacuum) it is never found with nothing to replay:
        # it is no further behind than since it last held all the primary had, now or at the last check.
        caught_up_at = asked_at if lag_bytes == 0 else earlier_at if row.past_earlier else -math.inf
        self._caught_up_at = max(self._caught_up_at, caught_up_at)
        lag_s = None if row.lag_s is None else round(min(float(row.lag_s), now - self._caught_up_at), 3)
        return self._set(ReplicaState(*self._verdict(row.recovering, lag_bytes, lag_s), lag_bytes, lag_s))

    def _verdict(
        self, recovering: bool, lag_bytes: int | None, lag_s: float | None
    ) -> tuple[bool, str | None]:
        if not recovering:  # promoted, or not a replica at all: it no longer follows the primary
            return False, "not in recovery"
        if lag_s is None and lag_bytes:  # behind, and no transaction replayed since it started: how far?
            return False, "catching up"
        if lag_s is not None and lag_s > self._max_lag_s:
            return False, f"lag over {self._max_lag_s:g} s"
        return True, None

    def _primary_position(self) -> str | None:
        try:
            with self._primary.connect() as conn:
                return str(conn.execute(sa.text("SELECT pg_current_wal_flush_lsn()")).scalar_one())
        except SQLAlchemyError:
            return None  # reads may go on from the replica while the primary is away

    def _set(self, state: ReplicaState) -> ReplicaState:
        if state.on_replica != self.state.on_replica:
            switch = "back to the replica" if state.on_replica else f"to the primary ({state.problem})"
            log.log(logging.INFO if state.on_replica else logging.WARNING, "reads switch %s", switch)
        self.state = state
        return state


def _unreachable(exc: SQLAlchemyError) -> str:
    return f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}"
