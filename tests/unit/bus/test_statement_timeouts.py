"""A statement timeout (SQLSTATE 57014: the database too busy to answer in time) halves a batch once, and is
retried as transient, never dead-lettered for it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import OperationalError

from app.bus.batches import Failure, classify
from app.contracts import Incoming, OrderCreated
from tests.unit.bus.memory_broker import DELAYS, MAX_ATTEMPTS, FakeBatchHandler, MemoryBroker, order_created


class PgError(Exception):
    """Stands in for psycopg2's QueryCanceled, which carries its SQLSTATE."""

    def __init__(self, pgcode: str) -> None:
        super().__init__("canceling statement due to statement timeout")
        self.pgcode = pgcode


def statement_timeout() -> OperationalError:
    return OperationalError("INSERT INTO orders.orders ...", {}, PgError("57014"))


class BusyDatabase(FakeBatchHandler):
    """Times out every batch while `overloaded`, and any batch larger than `fits` in time."""

    def __init__(self, fits: int = 10_000) -> None:
        super().__init__()
        self.overloaded, self.fits = False, fits

    def __call__(self, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
        if self.overloaded or len(batch) > self.fits:
            self.calls.append(list(batch))
            raise statement_timeout()
        return super().__call__(batch)


def test_a_statement_timeout_is_classified_transient() -> None:
    assert classify(statement_timeout()) is Failure.TRANSIENT


def test_a_batch_too_large_to_finish_in_time_is_halved_and_the_halves_commit(broker: MemoryBroker) -> None:
    handler = BusyDatabase(fits=4)
    envelopes = [order_created() for _ in range(8)]
    broker.publish_all(envelopes)

    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    assert handler.batch_sizes == [8, 4, 4]
    assert sorted(handler.applied_ids) == sorted(e.id for e in envelopes)
    assert broker.all_retried() == []
    assert broker.dead_letters() == []


def test_halves_that_time_out_as_well_are_retried_whole_not_halved_again(broker: MemoryBroker) -> None:
    handler = BusyDatabase()
    handler.overloaded = True
    broker.publish_all([order_created() for _ in range(8)])

    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    retried = broker.retried(DELAYS[0])
    assert handler.batch_sizes == [8, 4, 4]
    assert len(retried) == 8
    assert {(m.headers["x-attempts"], m.headers["x-transient-attempts"]) for m in retried} == {(0, 1)}


def test_orders_that_time_out_through_a_long_overload_are_applied_once_it_passes(
    broker: MemoryBroker,
) -> None:
    handler = BusyDatabase()
    handler.overloaded = True
    envelopes = [order_created() for _ in range(4)]
    broker.publish_all(envelopes)
    consumer = broker.consumer({OrderCreated: handler})

    broker.run_attempts(consumer, rounds=3 * MAX_ATTEMPTS)
    handler.overloaded = False
    broker.run_attempts(consumer, rounds=1)

    assert broker.dead_letters() == []
    assert sorted(handler.applied_ids) == sorted(e.id for e in envelopes)


def test_a_single_message_that_keeps_timing_out_is_retried_and_never_dead_lettered(
    broker: MemoryBroker,
) -> None:
    handler = BusyDatabase(fits=0)
    envelope = order_created()
    broker.publish_all([envelope])
    consumer = broker.consumer({OrderCreated: handler})

    broker.run_attempts(consumer, rounds=3 * MAX_ATTEMPTS)
    handler.fits = 1
    broker.run_attempts(consumer, rounds=1)

    assert broker.dead_letters() == []
    assert handler.batch_sizes == [1] * (3 * MAX_ATTEMPTS + 1)
    assert handler.applied_ids == [envelope.id]
