"""OutboxRelay on PostgreSQL and RabbitMQ, for both outboxes: rows published in seq order and marked only
once confirmed, woken by its process (else by its idle poll), never published twice by two relays, resilient
to the broker."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from kombu.entity import Queue

from app.bootstrap import topology
from app.bus import OutboxRelay, Topology, connect, mark_for_republish, purge_published
from app.bus.entities import events_exchange
from app.bus.publisher import PublishNotConfirmed
from app.config import Settings
from app.contracts import Envelope
from tests.integration.bus.conftest import Observer, Outbox
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

Observe = Callable[[str], Observer]


def relay_for(
    outbox: Outbox, broker_url: str, *, topology: Topology | None = None, **options: Any
) -> OutboxRelay:
    return OutboxRelay(outbox.engine, outbox.table, broker_url, topology=topology, **options)


@contextmanager
def running(*relays: OutboxRelay, wake: Callable[[], object] = lambda: None) -> Iterator[None]:
    """The relays running on threads; stopped afterwards (`wake` gets them out of a long idle wait)."""
    stop = threading.Event()
    threads = [threading.Thread(target=relay.run, args=(stop,), daemon=True) for relay in relays]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        wake()
        for thread in threads:
            thread.join(timeout=15)
    assert not any(thread.is_alive() for thread in threads), "a relay did not stop"


def test_the_relay_publishes_rows_in_seq_order_as_persistent_json_and_marks_them_published(
    outbox: Outbox, broker_url: str, observe: Observe
) -> None:
    envelopes = outbox.append(3)
    observer = observe(outbox.exchange)

    relayed = relay_for(outbox, broker_url).drain_once()

    received = observer.take(3)
    assert relayed == 3
    assert outbox.unpublished() == 0
    assert [m.properties["message_id"] for m in received] == [str(e.id) for e in envelopes]
    assert [m.delivery_info["routing_key"] for m in received] == [e.type for e in envelopes]
    assert [m.properties["correlation_id"] for m in received] == [e.correlation_id for e in envelopes]
    assert {(m.properties["delivery_mode"], m.content_type) for m in received} == {(2, "application/json")}
    assert [Envelope.from_json(m.body) for m in received] == envelopes


def test_rows_the_broker_does_not_confirm_stay_unpublished(outbox: Outbox, broker_url: str) -> None:
    outbox.append(3)
    with connect(broker_url) as connection:  # a queue that refuses everything: the broker nacks
        exchange = events_exchange(outbox.exchange)
        refusing = {"x-max-length": 0, "x-overflow": "reject-publish"}
        Queue("refusing", exchange, routing_key="#", queue_arguments=refusing)(connection.channel()).declare()

    with pytest.raises(PublishNotConfirmed):
        relay_for(outbox, broker_url).drain_once()

    assert outbox.unpublished() == 3


def test_the_relay_is_woken_by_its_process_after_a_commit_not_by_its_idle_poll(
    outbox: Outbox, broker_url: str, observe: Observe
) -> None:
    observer = observe(outbox.exchange)
    outbox.append(1)
    relay = relay_for(outbox, broker_url, idle_wait_s=600)

    with running(relay, wake=relay.wake):
        observer.take(1)  # the relay is now idle, waiting for up to 600 s
        outbox.append(1)
        relay.wake()
        received = observer.take(2, within_s=10)  # only a wake-up brings it back this soon

    assert len(received) == 2


def test_rows_nobody_woke_the_relay_for_are_published_at_its_next_idle_poll(
    outbox: Outbox, broker_url: str, observe: Observe
) -> None:
    observer = observe(outbox.exchange)
    outbox.append(1)
    relay = relay_for(outbox, broker_url, idle_wait_s=0.2)

    with running(relay, wake=relay.wake):
        observer.take(1)
        outbox.append(1)  # as another process would, or `payflow republish`: no wake-up
        received = observer.take(2, within_s=10)

    assert len(received) == 2


def test_two_relays_at_once_never_publish_a_row_twice(
    outbox: Outbox, broker_url: str, observe: Observe
) -> None:
    observer = observe(outbox.exchange)
    envelopes = outbox.append(200)
    relays = [relay_for(outbox, broker_url, batch_size=7) for _ in range(2)]

    with running(*relays):
        wait_until(lambda: outbox.unpublished() == 0, timeout=30, what="every row to be published")

    counts = Counter(m.properties["message_id"] for m in observer.everything())
    assert set(counts) == {str(e.id) for e in envelopes}
    assert max(counts.values()) == 1


def test_a_relay_publishes_again_after_the_broker_dropped_its_connection(
    outbox: Outbox, broker_url: str
) -> None:
    tap = "relay-test.tap"
    with connect(broker_url) as connection:
        exchange = events_exchange(outbox.exchange)
        Queue(tap, exchange, routing_key="#", durable=True)(connection.channel()).declare()
    first = outbox.append(1)

    with running(relay_for(outbox, broker_url)):
        wait_until(lambda: outbox.unpublished() == 0, timeout=10, what="the first row to be published")
        vhost = broker_url.rsplit("/", 1)[1]
        subprocess.run(
            ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test"], check=True, timeout=60
        )
        second = outbox.append(1)
        wait_until(lambda: outbox.unpublished() == 0, timeout=30, what="the relay to publish again")

    assert set(_message_ids(broker_url, tap)) == {str(first[0].id), str(second[0].id)}


def test_a_relay_without_a_broker_keeps_its_rows_and_retries(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.append(2)

    with running(relay_for(outbox, "amqp://guest:guest@127.0.0.1:1//")):
        wait_until(lambda: "retrying" in caplog.text, timeout=10, what="a failed attempt")

    assert f"outbox relay {outbox.table.schema}" in caplog.text
    assert outbox.unpublished() == 2


def test_marked_events_are_published_again_and_old_published_rows_purged(
    outbox: Outbox, broker_url: str, observe: Observe
) -> None:
    observer = observe(outbox.exchange)
    envelopes = outbox.append(3)
    relay = relay_for(outbox, broker_url)
    relay.drain_once()

    marked = mark_for_republish(outbox.engine, outbox.table, event_ids=[envelopes[1].id])
    republished = relay.drain_once()
    purged = purge_published(outbox.engine, outbox.table, 0)

    ids = [m.properties["message_id"] for m in observer.everything()]
    assert (marked, republished, purged) == (1, 1, 3)
    assert ids == [*(str(e.id) for e in envelopes), str(envelopes[1].id)]


def test_a_relay_on_a_fresh_broker_declares_the_inboxes_before_it_publishes(
    outbox: Outbox, broker_url: str
) -> None:
    routes = topology(Settings.from_env({"PAYFLOW_RETRY_DELAYS_MS": "100"}))
    outbox.append(1)

    relay_for(outbox, broker_url, topology=routes).drain_once()

    with connect(broker_url) as connection:
        depths = routes.depths(connection)
    # order.created reaches both modules; a payment result only orders.
    expected = {"gateway": (1, 1), "payments": (1, 0)}[str(outbox.table.schema)]
    assert (depths["orders.inbox"], depths["payments.inbox"]) == expected


def _message_ids(broker_url: str, queue: str) -> list[str]:
    ids = []
    with connect(broker_url) as connection:
        source = Queue(queue, no_declare=True)(connection.channel())
        while (message := source.get(no_ack=True)) is not None:
            ids.append(message.properties["message_id"])
    return ids
