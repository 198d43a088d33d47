"""Retries spent waiting out an outage are counted apart and never use up the attempts the limits bound."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import OperationalError

from app.bus import replay_dead_letters
from app.bus.batches import Outcome
from app.bus.settlement import RetryPolicy, Settler
from app.contracts import NotYetApplicable, OrderCancelled, OrderCreated
from app.orders import OrderStatus
from tests.unit.bus.fake_delivery import FakeMessage, FakePublisher
from tests.unit.bus.memory_broker import MAX_ATTEMPTS, FakeBatchHandler, MemoryBroker, order_created
from tests.unit.orders.fake_orders import OrdersState
from tests.unit.orders.order_events import orders_on

DATABASE_AWAY = OperationalError("SELECT 1", {}, Exception("connection refused"))
POLICY = RetryPolicy("transient-test.inbox", max_attempts=3, retry_delays_ms=(10, 20))


def copy_after(error: Exception, headers: dict[str, Any]) -> dict[str, Any]:
    """The retry or dead-letter copy settling a delivery with `headers` that failed with `error` makes."""
    journal: list[str] = []
    publisher = FakePublisher(journal)
    message = FakeMessage(journal, "m", headers=headers)
    Settler(publisher, POLICY).settle([message], [Outcome(error)])  # type: ignore[arg-type]
    [copy] = publisher.copies
    return copy


def test_a_transient_failure_counts_its_own_attempts_and_backs_off_by_them() -> None:
    copy = copy_after(DATABASE_AWAY, {"x-attempts": 1, "x-transient-attempts": 1})

    assert copy["routing_key"] == "transient-test.inbox.retry.20"
    assert copy["headers"]["x-transient-attempts"] == 2
    assert copy["headers"]["x-attempts"] == 1


def test_a_failure_after_many_transient_ones_is_its_first_attempt_with_the_first_delay() -> None:
    copy = copy_after(NotYetApplicable("order not stored yet"), {"x-transient-attempts": 40})

    assert copy["routing_key"] == "transient-test.inbox.retry.10"
    assert copy["headers"]["x-attempts"] == 1
    assert copy["headers"]["x-transient-attempts"] == 40


def test_a_bug_after_an_outage_still_gets_every_attempt_before_it_is_dead_lettered(
    broker: MemoryBroker,
) -> None:
    handler = FakeBatchHandler(error=DATABASE_AWAY)
    consumer = broker.consumer({OrderCreated: handler})
    broker.publish_all([order_created()])
    broker.run_attempts(consumer, rounds=2 * MAX_ATTEMPTS)

    handler.error = RuntimeError("boom")
    broker.run_attempts(consumer, rounds=MAX_ATTEMPTS)

    [dead] = broker.dead_letters()
    assert len(handler.calls) == 3 * MAX_ATTEMPTS
    assert dead.headers["x-attempts"] == MAX_ATTEMPTS
    assert dead.headers["x-transient-attempts"] == 2 * MAX_ATTEMPTS


def test_a_cancel_that_waited_out_a_database_outage_still_waits_for_its_order_and_applies(
    broker: MemoryBroker,
) -> None:
    state = OrdersState()
    handlers = orders_on(state).handlers
    database_up = False

    def orders_handler(batch: Any) -> frozenset[uuid.UUID]:
        if not database_up:
            raise DATABASE_AWAY
        return handlers[OrderCreated](batch)

    order_id = uuid.uuid4()
    # The cancel was relayed before its order's creation (another gateway process's relay was slower).
    broker.publish_all([OrderCancelled(order_id).to_envelope("cancel")])
    consumer = broker.consumer(dict.fromkeys(handlers, orders_handler))
    broker.run_attempts(consumer, rounds=2 * MAX_ATTEMPTS)  # more retries than NOT_YET is allowed

    database_up = True
    broker.run_attempts(consumer, rounds=1)  # its order does not exist yet: NOT_YET, retried
    broker.publish_all([OrderCreated(order_id, uuid.uuid4(), Decimal("5.00")).to_envelope("create")])
    broker.run_attempts(consumer, rounds=3)

    assert broker.dead_letters() == []
    assert state.status_of(order_id) is OrderStatus.CANCELLED


def test_a_replayed_dead_letter_starts_afresh_without_its_transient_count(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler(error=DATABASE_AWAY)
    consumer = broker.consumer({OrderCreated: handler})
    envelope = order_created()
    broker.publish_all([envelope])
    broker.run_attempts(consumer, rounds=2)
    handler.error = RuntimeError("boom")
    broker.run_attempts(consumer, rounds=MAX_ATTEMPTS)

    replayed = replay_dead_letters(broker.url, broker.queue, {str(envelope.id)})

    [back] = broker.waiting()
    assert replayed == 1
    assert not {"x-attempts", "x-transient-attempts", "x-error"} & set(back.headers)
