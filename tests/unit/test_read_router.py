"""Where the read router sends reads, from what its checks of the replica find (fake engines, no I/O)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from app.persistence import ReadRouter


class FakeEngine:
    """Hands out connections that answer every statement with `row`, or refuses them."""

    def __init__(self, name: str, row: Any = None) -> None:
        self.name, self.row, self.refusing = name, row, False
        self.given: Any = None  # the parameters of the last statement

    def connect(self) -> FakeConnection:
        if self.refusing:
            raise OperationalError("connect", {}, ConnectionRefusedError("refused"))
        return FakeConnection(self)


class FakeConnection:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def __enter__(self) -> FakeConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, *statement: object) -> FakeConnection:
        self.engine.given = statement[1:]
        return self

    def one(self) -> Any:
        return self.engine.row

    def scalar_one(self) -> str:
        return "0/3000000"  # the primary's WAL position


def replica_row(
    recovering: bool = True, lag_bytes: int | None = 0, lag_s: float | None = 0.0, past_earlier: bool = False
) -> Any:
    return SimpleNamespace(recovering=recovering, lag_bytes=lag_bytes, lag_s=lag_s, past_earlier=past_earlier)


@pytest.fixture
def engines() -> tuple[FakeEngine, FakeEngine]:
    return FakeEngine("primary"), FakeEngine("replica", replica_row())


def router(engines: tuple[FakeEngine, FakeEngine], max_lag_s: float = 30) -> ReadRouter:
    return ReadRouter(*engines, max_lag_s=max_lag_s)  # type: ignore[arg-type]  # fakes stand for the engines


def test_reads_go_to_a_replica_that_is_caught_up(engines: tuple[FakeEngine, FakeEngine]) -> None:
    reads = router(engines)

    state = reads.check()

    assert (state.reads, state.problem, state.lag_bytes, state.lag_s) == ("replica", None, 0, 0.0)
    assert reads.connect().engine.name == "replica"


def test_reads_stay_on_the_primary_until_a_check_finds_the_replica_usable(
    engines: tuple[FakeEngine, FakeEngine],
) -> None:
    reads = router(engines)

    before = reads.connect().engine.name
    reads.check()

    assert (before, reads.connect().engine.name) == ("primary", "replica")


def test_a_refused_connect_sends_that_read_and_the_next_ones_to_the_primary(
    engines: tuple[FakeEngine, FakeEngine],
) -> None:
    reads = router(engines)
    reads.check()  # usable: reads went to the replica
    engines[1].refusing = True

    first, second = reads.connect(), reads.connect()

    assert (first.engine.name, second.engine.name) == ("primary", "primary")
    assert reads.state.problem == "unreachable: ConnectionRefusedError"


def test_only_a_check_sends_reads_back_to_a_replica_that_answers_again(
    engines: tuple[FakeEngine, FakeEngine],
) -> None:
    reads = router(engines)
    engines[1].refusing = True
    reads.connect()
    engines[1].refusing = False

    before = reads.connect().engine.name
    reads.check()

    assert (before, reads.connect().engine.name) == ("primary", "replica")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (replica_row(recovering=False), "not in recovery"),
        (replica_row(lag_bytes=4096, lag_s=None), "catching up"),
        (replica_row(lag_bytes=4096, lag_s=45.0), "lag over 30 s"),
    ],
)
def test_a_replica_promoted_catching_up_or_too_far_behind_sends_reads_to_the_primary(
    engines: tuple[FakeEngine, FakeEngine], row: Any, problem: str
) -> None:
    engines[1].row = row

    state = router(engines).check()

    assert (state.reads, state.problem) == ("primary", problem)


def test_lag_in_seconds_is_never_more_than_the_time_since_the_replica_was_last_caught_up(
    engines: tuple[FakeEngine, FakeEngine],
) -> None:
    reads = router(engines)
    reads.check()  # caught up now
    engines[1].row = replica_row(lag_bytes=512, lag_s=600.0)  # its last replayed commit is 10 minutes old

    state = reads.check()

    assert state.reads == "replica"
    assert state.lag_s is not None
    assert state.lag_s < 5


def test_a_replica_that_replayed_what_the_primary_had_at_the_last_check_is_no_further_behind_than_that(
    engines: tuple[FakeEngine, FakeEngine],
) -> None:
    reads = router(engines)
    # WAL flows without commits (a bulk load): never found with nothing to replay, last commit 10 minutes old.
    engines[1].row = replica_row(lag_bytes=512, lag_s=600.0)
    first = reads.check()
    engines[1].row = replica_row(lag_bytes=512, lag_s=600.0, past_earlier=True)

    second = reads.check()

    assert (first.reads, first.problem) == ("primary", "lag over 30 s")
    assert engines[1].given == ({"primary": "0/3000000", "earlier": "0/3000000"},)
    assert second.reads == "replica"
    assert second.lag_s is not None
    assert second.lag_s < 5
