"""BatchConsumer on real RabbitMQ: retries through the TTL queues, dead letters listed without loss and
replayed, a clean stop, and a reconnect after the broker dropped the link."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from amqp.exceptions import ChannelError
from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Producer

from app.bus import (
    BatchConsumer,
    Batching,
    RetryPolicy,
    Topology,
    connect,
    list_dead_letters,
    replay_dead_letters,
)
from app.bus.entities import DEAD_LETTERS, dead_letter_queue
from app.bus.publisher import ConfirmingPublisher
from app.contracts import ContractError, Envelope, Incoming, OrderCancelled
from tests.integration.bus.conftest import RETRY_DELAYS_MS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

INBOX = "test.inbox"
ROUTES = Topology({INBOX: frozenset({OrderCancelled})}, RETRY_DELAYS_MS)


class FakeHandler:
    """A batch handler that raises `errors` one call after another, then applies (or keeps raising
    `always`); records every event it is given; holds each call until `release` is set."""

    def __init__(self, *errors: Exception, always: Exception | None = None) -> None:
        self.errors = list(errors)
        self.always = always
        self.seen: list[Incoming[Any]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
        self.started.set()
        self.release.wait(10)
        self.seen.extend(batch)
        if self.errors:
            raise self.errors.pop(0)
        if self.always is not None:
            raise self.always
        return frozenset()

    def seen_ids(self) -> list[str]:
        return [str(message.id) for message in self.seen]


def consumer(broker_url: str, handler: FakeHandler) -> BatchConsumer:
    return BatchConsumer(
        broker_url,
        ROUTES,
        {OrderCancelled: handler},
        Batching(size=10, wait_s=0.01),
        RetryPolicy(INBOX, max_attempts=2, retry_delays_ms=RETRY_DELAYS_MS),
    )


@contextmanager
def running(worker: BatchConsumer, after_stop: Callable[[], object] = lambda: None) -> Iterator[None]:
    """The consumer running on a thread; asked to stop afterwards, then `after_stop` runs."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        after_stop()
        thread.join(timeout=40)
    assert not thread.is_alive(), "the consumer did not stop"


@pytest.fixture
def amqp(broker_url: str) -> Iterator[Connection]:
    with connect(broker_url) as connection:
        ROUTES.declare(connection)
        yield connection


def send(
    broker_url: str, count: int, headers: dict[str, Any] | None = None, exchange: str = "", to: str = INBOX
) -> list[Envelope]:
    """`count` order.cancelled events straight into the inbox (on a link of their own), with `headers`."""
    envelopes = [OrderCancelled(order_id=uuid.uuid4()).to_envelope("corr-dlq") for _ in range(count)]
    with connect(broker_url) as connection:
        publisher = ConfirmingPublisher(connection)
        for envelope in envelopes:
            publisher.publish(
                envelope.to_json(),
                exchange=exchange,
                routing_key=to,
                headers=headers or {},
                message_id=str(envelope.id),
                correlation_id=envelope.correlation_id,
            )
        publisher.confirm()
    return envelopes


def dead_lettered(broker_url: str, count: int) -> list[Envelope]:
    """`count` events dead-lettered by a handler that finds them malformed."""
    envelopes = send(broker_url, count)
    consumer(broker_url, FakeHandler(always=ContractError("bad"))).drain(idle_s=0.3)
    return envelopes


def stamped(broker_url: str, *stamps: str | None) -> list[Envelope]:
    """One dead letter per stamp (its `x-dead-lettered-at`; None: without one), straight into the DLQ in
    that order."""
    return [
        send(broker_url, 1, {} if stamp is None else {"x-dead-lettered-at": stamp}, DEAD_LETTERS.name, INBOX)[
            0
        ]
        for stamp in stamps
    ]


def depth(connection: Connection, queue: str) -> int:
    return int(connection.default_channel.queue_declare(queue, passive=True).message_count)


@pytest.mark.usefixtures("amqp")
def test_a_transient_failure_is_retried_through_the_retry_queue(broker_url: str) -> None:
    handler = FakeHandler(ConnectionError("database unreachable"))

    with running(consumer(broker_url, handler)):
        [envelope] = send(broker_url, 1)
        wait_until(lambda: len(handler.seen) == 2, timeout=10, what="the retried delivery")

    assert handler.seen_ids() == [str(envelope.id)] * 2
    assert list_dead_letters(broker_url, INBOX) == []


@pytest.mark.usefixtures("amqp")
def test_dead_letters_are_listed_with_their_reason_and_stay_in_place(broker_url: str) -> None:
    envelopes = dead_lettered(broker_url, 2)

    first = list_dead_letters(broker_url, INBOX)
    second = list_dead_letters(broker_url, INBOX)

    assert first == second
    assert [letter.message_id for letter in first] == [str(e.id) for e in envelopes]
    assert (first[0].error, first[0].attempts, first[0].original_routing_key) == (
        "ContractError: bad",
        1,
        INBOX,
    )
    assert first[0].dead_lettered_at is not None
    assert Envelope.from_json(first[0].body) == envelopes[0]


@pytest.mark.usefixtures("amqp")
def test_chosen_dead_letters_are_replayed_to_their_queue_with_attempts_reset(broker_url: str) -> None:
    envelopes = dead_lettered(broker_url, 3)
    chosen = {str(envelopes[0].id), str(envelopes[2].id)}
    progress: list[int] = []

    replayed = replay_dead_letters(broker_url, INBOX, chosen, progress=progress.append)
    fixed = FakeHandler()
    consumer(broker_url, fixed).drain(idle_s=0.3)

    assert (replayed, progress) == (2, [1, 2])
    assert set(fixed.seen_ids()) == chosen
    assert [letter.message_id for letter in list_dead_letters(broker_url, INBOX)] == [str(envelopes[1].id)]


@pytest.mark.usefixtures("amqp")
def test_a_dead_letter_is_replayed_to_its_own_queue_whatever_queue_its_headers_name(broker_url: str) -> None:
    [moved] = send(broker_url, 1, headers={"x-original-queue": "test.inbox.renamed"})
    consumer(broker_url, FakeHandler(always=ContractError("bad"))).drain(idle_s=0.3)

    replayed = replay_dead_letters(broker_url, INBOX, {str(moved.id)})
    fixed = FakeHandler()
    consumer(broker_url, fixed).drain(idle_s=0.3)

    assert replayed == 1
    assert fixed.seen_ids() == [str(moved.id)]


def test_replaying_chosen_dead_letters_leaves_those_after_the_last_of_them_untouched(
    broker_url: str, amqp: Connection
) -> None:
    chosen, *rest = stamped(broker_url, None, None, None)

    replayed = replay_dead_letters(broker_url, INBOX, {str(chosen.id)})
    left = [dead_letter_queue(INBOX)(amqp.default_channel).get(no_ack=True) for _ in rest]

    assert replayed == 1
    assert [(m.properties["message_id"], m.delivery_info["redelivered"]) for m in left] == [
        (str(envelope.id), False) for envelope in rest
    ]


def test_a_replayed_dead_letter_carries_the_headers_a_fresh_message_does(
    broker_url: str, amqp: Connection
) -> None:
    expired = OrderCancelled(order_id=uuid.uuid4()).to_envelope("corr-dlq")
    # Expired in the inbox, the broker dead-letters it itself, adding x-death and x-first-death-*.
    Producer(amqp.default_channel).publish(
        expired.to_json(),
        routing_key=INBOX,
        message_id=str(expired.id),
        headers={"kept": "yes"},
        expiration=0.001,
    )
    wait_until(lambda: depth(amqp, f"{INBOX}.dead-letters") == 1, timeout=10, what="the expired message")

    replayed = replay_dead_letters(broker_url, INBOX, {str(expired.id)})
    send(broker_url, 1, headers={"kept": "yes"})
    again, fresh = (Queue(INBOX)(amqp.default_channel).get(no_ack=True) for _ in range(2))

    assert replayed == 1
    assert again.properties["message_id"] == str(expired.id)
    assert again.headers == fresh.headers


def test_dead_letters_are_not_replayed_while_their_queue_does_not_exist(broker_url: str) -> None:
    with connect(broker_url) as connection:
        dead_letter_queue("gone.inbox")(connection.default_channel).declare()
    [letter] = send(broker_url, 1, exchange=DEAD_LETTERS.name, to="gone.inbox")

    with pytest.raises(ChannelError, match=r"gone\.inbox"):
        replay_dead_letters(broker_url, "gone.inbox")

    assert [kept.message_id for kept in list_dead_letters(broker_url, "gone.inbox")] == [str(letter.id)]


@pytest.mark.usefixtures("amqp")
def test_a_dead_letter_with_a_garbled_or_zoneless_time_is_listed_last_without_one(broker_url: str) -> None:
    garbled, zoneless, fine = stamped(
        broker_url, "yesterday", "2026-11-26T08:00:00", "2026-11-26T09:00:00+00:00"
    )

    listed = list_dead_letters(broker_url, INBOX)

    assert [(letter.message_id, letter.dead_lettered_at) for letter in listed] == [
        (str(fine.id), datetime(2026, 11, 26, 9, tzinfo=UTC)),
        (str(garbled.id), None),
        (str(zoneless.id), None),
    ]


@pytest.mark.usefixtures("amqp")
def test_dead_letters_are_listed_oldest_first_whatever_order_the_queue_holds_them_in(broker_url: str) -> None:
    newest, untimed, oldest, middle = stamped(
        broker_url,
        "2026-11-26T11:00:00+00:00",
        None,
        "2026-11-26T09:00:00+00:00",
        "2026-11-26T11:30:00+02:00",
    )

    listed = list_dead_letters(broker_url, INBOX)

    assert [letter.message_id for letter in listed] == [str(e.id) for e in (oldest, middle, newest, untimed)]


def test_stopping_a_consumer_finishes_the_batch_in_flight_and_acks_it(
    broker_url: str, amqp: Connection
) -> None:
    handler = FakeHandler()
    handler.release.clear()

    with running(consumer(broker_url, handler), after_stop=handler.release.set):
        send(broker_url, 1)
        wait_until(handler.started.is_set, timeout=10, what="the batch to start")

    assert len(handler.seen) == 1
    assert depth(amqp, INBOX) == 0


def test_a_consumer_reconnects_after_the_broker_drops_its_connection(
    broker_url: str, amqp: Connection
) -> None:
    handler = FakeHandler()

    with running(consumer(broker_url, handler)):
        wait_until(lambda: _consumers(broker_url) == 1, timeout=10, what="the consumer to subscribe")
        vhost = broker_url.rsplit("/", 1)[1]
        subprocess.run(
            ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test"], check=True, timeout=60
        )
        [envelope] = send(broker_url, 1)
        wait_until(lambda: handler.seen, timeout=20, what="the delivery after the reconnect")

    assert handler.seen_ids() == [str(envelope.id)]


def _consumers(broker_url: str) -> int:
    with connect(broker_url) as connection:
        return int(connection.default_channel.queue_declare(INBOX, passive=True).consumer_count)


def test_every_dead_letter_is_back_in_its_queue_when_a_listing_returns(
    broker_url: str, amqp: Connection
) -> None:
    send(broker_url, 2000, exchange=DEAD_LETTERS.name, to=INBOX)

    counts = [
        (len(list_dead_letters(broker_url, INBOX)), depth(amqp, f"{INBOX}.dead-letters")) for _ in range(3)
    ]

    assert counts == [(2000, 2000)] * 3


def test_every_dead_letter_left_is_back_in_its_queue_when_a_replay_of_chosen_ones_returns(
    broker_url: str, amqp: Connection
) -> None:
    rounds = [f"{INBOX}.{round_}" for round_ in range(3)]
    chosen = []
    for queue in rounds:  # a queue of its own each round: the chosen one has 999 before it, 1000 after
        Queue(queue, durable=True)(amqp.default_channel).declare()
        dead_letter_queue(queue)(amqp.default_channel).declare()
        chosen.append(send(broker_url, 2000, exchange=DEAD_LETTERS.name, to=queue)[999])

    counts = [
        (replay_dead_letters(broker_url, queue, {str(letter.id)}), depth(amqp, f"{queue}.dead-letters"))
        for queue, letter in zip(rounds, chosen, strict=True)
    ]

    assert counts == [(1, 1999)] * 3
