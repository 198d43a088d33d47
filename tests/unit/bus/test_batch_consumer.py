"""BatchConsumer on the memory transport: batches by size and time, typed events, acks after the handler."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.bus import BatchConsumer, Batching, RetryPolicy, Topology, connect
from app.bus.batches import Outcome
from app.bus.publisher import ConfirmingPublisher, PublishNotConfirmed
from app.bus.session import BatchSession
from app.contracts import OrderCancelled, OrderCreated
from tests.support.waiting import wait_until
from tests.unit.bus.memory_broker import (
    DELAYS,
    FakeBatchHandler,
    MemoryBroker,
    order_cancelled,
    order_created,
)


@contextlib.contextmanager
def consuming(consumer: BatchConsumer) -> Iterator[threading.Thread]:
    """`consumer.run` on a thread of its own, stopped and joined when the block ends."""
    stop = threading.Event()
    running = threading.Thread(target=consumer.run, args=(stop,))
    running.start()
    try:
        yield running
    finally:
        stop.set()
        running.join(timeout=5)


class WorkerKilled(BaseException):
    """Ends the worker in the middle of a batch, as a SIGKILL would: nothing after it runs."""


def test_a_handled_message_is_acked_and_leaves_the_queue(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    envelope = order_created()
    broker.publish_all([envelope])

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    assert settled == 1
    assert handler.applied_ids == [envelope.id]
    assert broker.waiting() == []
    assert broker.all_retried() == []
    assert broker.dead_letters() == []


def test_the_handler_gets_typed_events_with_their_envelope_ids(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    envelope = order_created(correlation_id="corr-42")
    broker.publish_all([envelope])

    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [incoming] = handler.applied
    assert incoming.event == OrderCreated.from_payload(envelope.payload)
    assert (incoming.id, incoming.correlation_id, incoming.type) == (envelope.id, "corr-42", "order.created")


def test_deliveries_are_applied_in_batches_of_at_most_the_batch_size(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    envelopes = [order_created() for _ in range(7)]
    broker.publish_all(envelopes)

    settled = broker.consumer({OrderCreated: handler}, size=3).drain(idle_s=0.05)

    assert settled == 7
    assert handler.batch_sizes == [3, 3, 1]
    assert handler.applied_ids == [envelope.id for envelope in envelopes]


def test_a_delivery_that_finds_the_worker_idle_is_applied_without_waiting_for_the_batch_time(
    broker: MemoryBroker,
) -> None:
    started_at: list[float] = []
    handler = FakeBatchHandler()

    def timed(batch: Any) -> frozenset[Any]:
        started_at.append(time.monotonic())
        return handler(batch)

    broker.publish_all([order_created()])
    begun = time.monotonic()

    broker.consumer({OrderCreated: timed}, size=10, wait_s=5.0).drain(idle_s=0.05)

    assert handler.batch_sizes == [1]
    assert started_at[0] - begun < 5.0


def test_while_a_batch_runs_deliveries_wait_the_batch_time_to_share_the_next_batch(
    broker: MemoryBroker,
) -> None:
    handler = FakeBatchHandler()
    second_started = threading.Event()

    def first_publishes_two_more(batch: Any) -> frozenset[Any]:
        if not handler.batch_sizes:  # the first batch: two more deliveries arrive while it runs
            broker.publish_all([order_created(), order_created()])
            handled = handler(batch)
            second_started.wait(timeout=5)
            return handled
        second_started.set()
        return handler(batch)

    broker.publish_all([order_created()])

    broker.consumer({OrderCreated: first_publishes_two_more}, size=10, wait_s=0.2, parallel=2).drain(
        idle_s=0.3
    )

    assert handler.batch_sizes == [1, 2]


def test_a_worker_killed_while_applying_a_batch_leaves_every_message_of_it_to_be_redelivered(
    broker: MemoryBroker,
) -> None:
    def killed(batch: Any) -> frozenset[Any]:
        raise WorkerKilled

    envelopes = [order_created() for _ in range(3)]
    broker.publish_all(envelopes)

    with pytest.raises(WorkerKilled):
        broker.consumer({OrderCreated: killed}).drain(idle_s=0.05)

    redelivered = broker.waiting()
    assert sorted(message.properties["message_id"] for message in redelivered) == sorted(
        str(envelope.id) for envelope in envelopes
    )


def test_events_are_grouped_by_handler_each_group_applied_on_its_own(broker: MemoryBroker) -> None:
    created, cancelled = FakeBatchHandler(), FakeBatchHandler()
    broker.publish_all([order_created(), order_cancelled(), order_created(), order_cancelled()])

    broker.consumer({OrderCreated: created, OrderCancelled: cancelled}).drain(idle_s=0.05)

    assert created.batch_sizes == [2]
    assert cancelled.batch_sizes == [2]
    assert {message.type for message in created.applied} == {"order.created"}


def test_event_types_sharing_one_handler_are_applied_in_one_call(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    broker.publish_all([order_created(), order_cancelled(), order_created()])

    broker.consumer({OrderCreated: handler, OrderCancelled: handler}).drain(idle_s=0.05)

    assert handler.batch_sizes == [3]


def test_duplicates_of_one_event_inside_one_batch_are_applied_once_and_all_acked(
    broker: MemoryBroker,
) -> None:
    handler = FakeBatchHandler()
    envelope = order_created()
    broker.publish_all([envelope, envelope, envelope])

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    assert settled == 3
    assert handler.applied_ids == [envelope.id]
    assert broker.waiting() == []
    assert broker.all_retried() == []


def test_with_parallel_batches_two_batches_are_applied_at_the_same_time(broker: MemoryBroker) -> None:
    both_running = threading.Barrier(2, timeout=5)
    handler = FakeBatchHandler()

    def meets_the_other(batch: Any) -> frozenset[Any]:
        both_running.wait()  # a lone batch times out here, which fails it
        return handler(batch)

    broker.publish_all([order_created() for _ in range(4)])

    broker.consumer({OrderCreated: meets_the_other}, size=2, parallel=2).drain(idle_s=0.05)

    assert handler.batch_sizes == [2, 2]
    assert broker.all_retried() == []


def test_no_more_deliveries_than_in_flight_are_applied_at_once_whatever_the_runners(
    broker: MemoryBroker,
) -> None:
    handler, lock, applying, most, company = FakeBatchHandler(), threading.Lock(), [0], [0], threading.Event()

    def waits_for_company(batch: Any) -> frozenset[Any]:
        with lock:
            applying[0] += len(batch)
            most[0] = max(most[0], applying[0])
            if applying[0] > len(batch):
                company.set()
        company.wait(timeout=0.3)  # another batch would start meanwhile, were its deliveries let in
        with lock:
            applying[0] -= len(batch)
        return handler(batch)

    broker.publish_all([order_created() for _ in range(4)])

    broker.consumer({OrderCreated: waits_for_company}, size=2, parallel=3, in_flight=2).drain(idle_s=0.05)

    assert most[0] == 2
    assert handler.batch_sizes == [2, 2]


def test_a_running_consumer_applies_what_arrives_until_it_is_stopped(broker: MemoryBroker) -> None:
    handler = FakeBatchHandler()
    consumer = broker.consumer({OrderCreated: handler})
    envelopes = [order_created() for _ in range(3)]

    with consuming(consumer) as running:
        broker.publish_all(envelopes)
        wait_until(lambda: len(handler.applied) == 3, timeout=5, what="three events applied")

    assert not running.is_alive()
    assert Counter(handler.applied_ids) == Counter(envelope.id for envelope in envelopes)
    assert time.monotonic() - consumer.last_heartbeat < 5
    assert broker.waiting() == []


def test_a_consumer_says_for_how_long_it_has_been_consuming_and_zero_when_it_is_not(
    broker: MemoryBroker,
) -> None:
    consumer = broker.consumer({OrderCreated: FakeBatchHandler()})
    before = consumer.consuming_for()

    with consuming(consumer):
        wait_until(lambda: consumer.consuming_for() > 0, timeout=5, what="the consumer to consume")

    assert before == 0
    assert consumer.consuming_for() == 0


def test_stopping_a_session_lets_its_running_batch_finish_and_acks_it(broker: MemoryBroker) -> None:
    started, finish = threading.Event(), threading.Event()

    def apply(bodies: list[bytes]) -> list[Outcome]:
        started.set()
        finish.wait(timeout=5)
        return [Outcome() for _ in bodies]

    broker.publish_all([order_created()])
    with ThreadPoolExecutor(1) as runners, connect(broker.url) as connection:
        policy = RetryPolicy(broker.queue, 3, DELAYS)
        session = BatchSession(connection, policy, Batching(10, 0.01), runners, apply)

        def running() -> bool:
            session.pump(0.01)
            return started.is_set()

        wait_until(running, timeout=5, what="the batch running")
        threading.Timer(0.2, finish.set).start()  # the batch takes 200 ms more: stop must wait for it

        session.stop(grace_s=5)

        assert session.settled == 1
    assert broker.waiting() == []  # acked, not given back for redelivery


def test_a_consumer_declares_its_queue_with_its_retry_and_dead_letter_queues(broker: MemoryBroker) -> None:
    fresh = f"{broker.queue}.fresh"
    family = [fresh, f"{fresh}.dead-letters", *(f"{fresh}.retry.{delay}" for delay in DELAYS)]
    consumer = BatchConsumer(
        broker.url, Topology({}, DELAYS), {}, Batching(10, 0.01), RetryPolicy(fresh, 3, DELAYS)
    )

    consumer.drain(idle_s=0.01)

    channel = broker.connection.default_channel
    assert [channel.queue_declare(name, passive=True).message_count for name in family] == [0, 0, 0, 0]


def test_a_retry_copy_the_broker_does_not_confirm_makes_the_consumer_reconnect_instead_of_dying(
    broker: MemoryBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FakeBatchHandler(error=RuntimeError("boom"))
    consumer = broker.consumer({OrderCreated: handler})
    broker.publish_all([order_created()])
    confirms: list[str] = []

    def refuse_the_first(publisher: ConfirmingPublisher, timeout_s: float = 10.0) -> None:
        confirms.append("refused" if not confirms else "confirmed")
        if confirms[-1] == "refused":  # as RabbitMQ does under a memory alarm, or when it nacks
            raise PublishNotConfirmed("1 message(s) not confirmed in 10.0 s")

    monkeypatch.setattr(ConfirmingPublisher, "confirm", refuse_the_first)

    with consuming(consumer) as running:
        wait_until(lambda: "confirmed" in confirms, timeout=10, what="a second, confirmed settlement")
        alive = running.is_alive()

    assert alive
    assert len(handler.calls) == 2  # the unconfirmed batch was never acked: redelivered, applied again


def test_a_consumer_that_reconnects_counts_its_consuming_time_from_the_reconnect(
    broker: MemoryBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = broker.consumer({OrderCreated: FakeBatchHandler(error=RuntimeError("boom"))})
    broker.publish_all([order_created()])
    seen: list[tuple[float, float]] = []  # (when, consuming_for()) at each settlement's confirm

    def refuse_the_first(publisher: ConfirmingPublisher, timeout_s: float = 10.0) -> None:
        seen.append((time.monotonic(), consumer.consuming_for()))
        if len(seen) == 1:  # the consumer reconnects
            raise PublishNotConfirmed("1 message(s) not confirmed in 10.0 s")

    monkeypatch.setattr(ConfirmingPublisher, "confirm", refuse_the_first)

    with consuming(consumer):
        wait_until(lambda: len(seen) >= 2, timeout=10, what="a settlement after the reconnect")

    (refused_at, before), (settled_at, after) = seen[:2]
    assert before > 0
    assert after < settled_at - refused_at  # counted from the reconnect, not from the first connect
