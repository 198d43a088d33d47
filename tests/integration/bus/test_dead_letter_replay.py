"""Workers on real RabbitMQ: retries through TTL queues, dead letters listed without loss and replayed."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from kombu.connection import Connection

from app.bus import KombuPublisher, QueueWorker, connect, list_dead_letters, replay_dead_letters
from app.bus.topology import declare_queue
from app.contracts import ContractError, Envelope, EventHandler, OrderCancelled
from app.persistence import is_transient
from tests.integration.bus.conftest import RETRY_DELAYS_MS

pytestmark = pytest.mark.integration


class FakeHandler:
    """Fails with `errors` one after another, then succeeds; records every call."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.seen: list[Envelope] = []

    def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def inbox(amqp: Connection, broker_url: str) -> Iterator[str]:
    """A queue family of this test's own, deleted afterwards (on a fresh link: a test may drop `amqp`)."""
    name = f"bus-test-{uuid.uuid4().hex[:8]}.inbox"
    declare_queue(amqp, name, RETRY_DELAYS_MS)
    yield name
    with connect(broker_url) as connection:
        for suffix in ("", ".dead-letters", *(f".retry.{ms}" for ms in RETRY_DELAYS_MS)):
            connection.default_channel.queue_delete(f"{name}{suffix}")


def send(amqp: Connection, queue: str, count: int) -> list[Envelope]:
    envelopes = [OrderCancelled(uuid.uuid4()).to_envelope("corr-dlq") for _ in range(count)]
    publisher = KombuPublisher(amqp.default_channel)
    for envelope in envelopes:
        publisher.publish(envelope.to_json(), exchange="", routing_key=queue, message_id=str(envelope.id))
    return envelopes


def worker(broker_url: str, queue: str, handler: EventHandler) -> QueueWorker:
    handlers = {"order.cancelled": handler}
    return QueueWorker(
        broker_url, queue, handlers, concurrency=4, max_attempts=2, retry_delays_ms=RETRY_DELAYS_MS
    )


def wait_for(condition: Callable[[], bool], within_s: float = 10) -> bool:
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    return condition()


def test_a_running_worker_retries_a_transient_failure_through_the_retry_queue(
    broker_url: str, amqp: Connection, inbox: str
) -> None:
    handler = FakeHandler(ConnectionError("database unreachable"))
    stop = threading.Event()
    thread = threading.Thread(target=worker(broker_url, inbox, handler).run, args=(stop,), daemon=True)
    thread.start()
    send(amqp, inbox, 1)

    handled_twice = wait_for(lambda: len(handler.seen) == 2)
    stop.set()
    thread.join(timeout=30)

    assert is_transient(ConnectionError())
    assert handled_twice
    assert not thread.is_alive()
    assert list_dead_letters(broker_url, inbox) == []


def test_dead_letters_are_listed_with_their_reason_and_stay_in_place(
    broker_url: str, amqp: Connection, inbox: str
) -> None:
    envelopes = send(amqp, inbox, 2)
    worker(broker_url, inbox, FakeHandler(ContractError("bad"), ContractError("bad"))).drain(timeout=0.3)

    first = list_dead_letters(broker_url, inbox)
    second = list_dead_letters(broker_url, inbox)

    assert first == second
    assert [d.message_id for d in first] == [str(e.id) for e in envelopes]
    assert first[0].error == "ContractError: bad"
    assert first[0].attempts == 1
    assert first[0].original_routing_key == inbox
    assert first[0].dead_lettered_at is not None
    assert Envelope.from_json(first[0].body) == envelopes[0]


def test_chosen_dead_letters_are_replayed_to_their_queue_with_attempts_reset(
    broker_url: str, amqp: Connection, inbox: str
) -> None:
    envelopes = send(amqp, inbox, 3)
    worker(broker_url, inbox, FakeHandler(*[ContractError("bad")] * 3)).drain(timeout=0.3)
    seen_progress: list[int] = []
    chosen = {str(envelopes[0].id), str(envelopes[2].id)}

    replayed = replay_dead_letters(broker_url, inbox, chosen, progress=seen_progress.append)
    fixed = FakeHandler()
    worker(broker_url, inbox, fixed).drain(timeout=0.3)

    assert replayed == 2
    assert seen_progress == [1, 2]
    assert {str(e.id) for e in fixed.seen} == chosen
    assert [d.message_id for d in list_dead_letters(broker_url, inbox)] == [str(envelopes[1].id)]


class BlockingHandler:
    """Holds every call until `release` is set."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen: list[Envelope] = []

    def __call__(self, envelope: Envelope) -> None:
        self.started.set()
        self.release.wait(10)
        self.seen.append(envelope)


def test_stopping_a_worker_finishes_the_message_in_flight_and_acks_it(
    broker_url: str, amqp: Connection, inbox: str
) -> None:
    handler = BlockingHandler()
    stop = threading.Event()
    running = worker(broker_url, inbox, handler)
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    thread.start()
    send(amqp, inbox, 1)
    handler.started.wait(10)

    stop.set()
    handler.release.set()
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert len(handler.seen) == 1
    assert amqp.default_channel.queue_declare(inbox, passive=True).message_count == 0


def test_a_worker_reconnects_after_the_broker_drops_its_connection(
    broker_url: str, amqp: Connection, inbox: str
) -> None:
    handler = FakeHandler()
    stop = threading.Event()
    running = worker(broker_url, inbox, handler)
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    thread.start()
    assert wait_for(lambda: consumers_of(amqp, inbox) == 1)

    vhost = broker_url.rsplit("/", 1)[1]
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test"], check=True, timeout=60
    )
    with connect(broker_url) as fresh:
        send(fresh, inbox, 1)
        handled = wait_for(lambda: len(handler.seen) == 1, within_s=20)
    stop.set()
    thread.join(timeout=30)

    assert handled
    assert not thread.is_alive()


def consumers_of(connection: Connection, queue: str) -> int:
    return int(connection.default_channel.queue_declare(queue, passive=True).consumer_count)
