"""What the consumer does with what failed: split batches, retry with back-off, dead-letter with reasons."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from sqlalchemy.exc import OperationalError

from app.contracts import Incoming, OrderCancelled, OrderCreated
from tests.unit.bus.memory_broker import (
    BROKER_BOOKKEEPING,
    DELAYS,
    MAX_ATTEMPTS,
    FakeBatchHandler,
    MemoryBroker,
    order_created,
)

DATABASE_AWAY = OperationalError("SELECT 1", {}, Exception("connection refused"))


def body_of(message: Any) -> dict[str, Any]:
    return dict(json.loads(message.body))


def ids(batch: list[Incoming[Any]]) -> list[uuid.UUID]:
    return [message.id for message in batch]


def test_malformed_json_is_dead_lettered_at_once_with_the_reason_and_attempts(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    broker.publish(b"{not json")

    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [dead] = broker.dead_letters()
    assert dead.body == b"{not json"
    assert dead.headers["x-error"].startswith("ContractError: message is not JSON")
    assert dead.headers["x-attempts"] == 1
    assert dead.headers["x-original-queue"] == broker.queue
    assert "x-dead-lettered-at" in dead.headers
    assert handler.calls == []
    assert broker.all_retried() == []


def test_an_event_type_without_a_handler_here_is_dead_lettered_at_once(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    broker.publish_all([order_created()])

    broker.consumer({OrderCancelled: handler}).drain(idle_s=0.05)

    [dead] = broker.dead_letters()
    assert dead.headers["x-error"].startswith("UnknownEventType: no handler here for 'order.created'")
    assert dead.headers["x-attempts"] == 1
    assert handler.calls == []


def test_a_failing_batch_is_split_until_only_the_poison_message_fails_and_the_rest_apply_once(
    broker: MemoryBroker,
) -> None:
    envelopes = [order_created() for _ in range(7)]
    poison = envelopes[4]
    handler = FakeBatchHandler(poison=[poison.id])
    broker.publish_all(envelopes)

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [retried] = broker.retried(DELAYS[0])
    assert settled == 7
    assert Counter(handler.applied_ids) == Counter(e.id for e in envelopes if e is not poison)
    assert [len(call) for call in handler.calls if poison.id in ids(call)] == [7, 4, 2, 1]
    assert body_of(retried)["id"] == str(poison.id)
    assert retried.headers["x-attempts"] == 1
    assert broker.dead_letters() == []
    assert broker.waiting() == []


def test_a_transient_failure_retries_the_whole_batch_without_splitting_it(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler(error=DATABASE_AWAY)
    envelopes = [order_created() for _ in range(4)]
    broker.publish_all(envelopes)

    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    retried = broker.retried(DELAYS[0])
    assert handler.batch_sizes == [4]
    assert sorted(body_of(message)["id"] for message in retried) == sorted(str(e.id) for e in envelopes)
    assert broker.dead_letters() == []


def test_a_transient_failure_is_retried_and_never_dead_lettered_however_often(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler(error=DATABASE_AWAY)
    consumer = broker.consumer({OrderCreated: handler})
    envelope = order_created()
    broker.publish_all([envelope])

    broker.run_attempts(consumer, rounds=3 * MAX_ATTEMPTS)
    handler.error = None
    broker.run_attempts(consumer, rounds=1)

    assert broker.dead_letters() == []
    assert len(handler.calls) == 3 * MAX_ATTEMPTS + 1
    assert handler.applied_ids == [envelope.id]
    assert broker.waiting() == []


def test_a_handler_bug_is_retried_with_growing_delays_and_counted_attempts(broker: MemoryBroker) -> None:
    consumer = broker.consumer({OrderCreated: FakeBatchHandler(error=RuntimeError("boom"))})
    broker.publish_all([order_created()])

    consumer.drain(idle_s=0.05)
    [first_retry] = broker.retried(DELAYS[0])
    broker.publish(first_retry.body, headers=first_retry.headers)
    consumer.drain(idle_s=0.05)
    [second_retry] = broker.retried(DELAYS[1])

    assert first_retry.headers["x-attempts"] == 1
    assert second_retry.headers["x-attempts"] == 2
    assert body_of(second_retry) == body_of(first_retry)


def test_a_persistent_bug_is_dead_lettered_after_max_attempts_with_the_count(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler(error=RuntimeError("boom"))
    broker.publish_all([order_created()])

    broker.run_attempts(broker.consumer({OrderCreated: handler}), rounds=MAX_ATTEMPTS + 1)

    [dead] = broker.dead_letters()
    assert len(handler.calls) == MAX_ATTEMPTS
    assert dead.headers["x-attempts"] == MAX_ATTEMPTS
    assert dead.headers["x-error"] == "RuntimeError: boom"
    assert "x-dead-lettered-at" in dead.headers
    assert broker.all_retried() == []


def test_events_the_handler_reports_as_waiting_are_retried_and_the_others_acked(broker: MemoryBroker) -> None:
    early, ready = order_created(), order_created()
    handler = FakeBatchHandler(waiting=[early.id])
    broker.publish_all([early, ready])

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [retried] = broker.retried(DELAYS[0])
    assert settled == 2
    assert handler.applied_ids == [ready.id]
    assert body_of(retried)["id"] == str(early.id)
    assert retried.headers["x-attempts"] == 1
    assert broker.waiting() == []


def test_an_event_still_waiting_gets_twice_the_attempts_then_is_dead_lettered(broker: MemoryBroker) -> None:
    envelope = order_created()
    handler = FakeBatchHandler(waiting=[envelope.id])
    broker.publish_all([envelope])

    broker.run_attempts(broker.consumer({OrderCreated: handler}), rounds=3 * MAX_ATTEMPTS)

    [dead] = broker.dead_letters()
    assert len(handler.calls) == 2 * MAX_ATTEMPTS
    assert dead.headers["x-attempts"] == 2 * MAX_ATTEMPTS
    assert dead.headers["x-error"].startswith("NotYetApplicable")


def test_retried_copies_keep_where_the_message_first_came_from_and_its_ids(broker: MemoryBroker) -> None:
    exchange = f"{broker.queue}.source"
    with broker.connection.channel() as channel:
        channel.exchange_declare(exchange, "topic", durable=True)
        channel.queue_bind(broker.queue, exchange, "order.created")
    envelope = order_created(correlation_id="corr-7")
    consumer = broker.consumer({OrderCreated: FakeBatchHandler(error=RuntimeError("boom"))})
    broker.publish(
        envelope.to_json(),
        exchange=exchange,
        routing_key="order.created",
        message_id=str(envelope.id),
        correlation_id="corr-7",
    )

    consumer.drain(idle_s=0.05)
    broker.expire_retries()
    consumer.drain(idle_s=0.05)

    [second_copy] = broker.retried(DELAYS[1])
    assert second_copy.headers["x-attempts"] == 2
    assert second_copy.headers["x-original-exchange"] == exchange
    assert second_copy.headers["x-original-routing-key"] == "order.created"
    assert second_copy.headers["x-original-queue"] == broker.queue
    assert second_copy.properties["message_id"] == str(envelope.id)
    assert second_copy.properties["correlation_id"] == "corr-7"


def test_broker_bookkeeping_headers_do_not_follow_a_retried_copy(broker: MemoryBroker) -> None:
    consumer = broker.consumer({OrderCreated: FakeBatchHandler(error=RuntimeError("boom"))})
    broker.publish_all([order_created()])

    consumer.drain(idle_s=0.05)
    broker.expire_retries()  # comes back carrying x-death and x-first-death-*
    consumer.drain(idle_s=0.05)

    [second_copy] = broker.retried(DELAYS[1])
    assert set(BROKER_BOOKKEEPING).isdisjoint(second_copy.headers)


def test_a_retried_message_that_then_succeeds_is_acked_and_applied_once(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler(error=RuntimeError("flaky"))
    consumer = broker.consumer({OrderCreated: handler})
    envelope = order_created()
    broker.publish_all([envelope])

    consumer.drain(idle_s=0.05)
    handler.error = None
    broker.expire_retries()
    consumer.drain(idle_s=0.05)

    assert handler.applied_ids == [envelope.id]
    assert broker.all_retried() == []
    assert broker.dead_letters() == []
    assert broker.waiting() == []
