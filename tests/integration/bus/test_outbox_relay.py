"""The outbox relay on real PostgreSQL and RabbitMQ: confirmed, marked, never doubled, woken by NOTIFY."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, Table, func, select

from app.bus import OutboxRelay, mark_for_republish, purge_published
from app.contracts import Envelope
from tests.integration.bus.conftest import Observer

pytestmark = pytest.mark.integration

Append = Callable[[int], list[Envelope]]


def relay_for(
    engine: Engine, outbox: Table, broker_url: str, observer: Observer, batch: int = 500
) -> OutboxRelay:
    return OutboxRelay(engine, str(outbox.schema), broker_url, batch, exchange=observer.exchange)


@contextmanager
def running(*relays: OutboxRelay) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=relay.run, args=(stop,), daemon=True) for relay in relays]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def unpublished(engine: Engine, outbox: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one())


def test_the_relay_publishes_persistent_json_messages_and_marks_rows_published(
    migrated_engine: Engine, outbox: Table, append: Append, broker_url: str, observer: Observer
) -> None:
    envelopes = append(3)
    relay = relay_for(migrated_engine, outbox, broker_url, observer)

    relayed = relay.drain_once()

    received = observer.collect(3, within_s=5)
    assert relayed == 3
    assert unpublished(migrated_engine, outbox) == 0
    assert [m.properties["message_id"] for m in received] == [str(e.id) for e in envelopes]
    first = received[0]
    assert first.delivery_info["routing_key"] == "order.cancelled"
    assert first.properties["delivery_mode"] == 2
    assert first.content_type == "application/json"
    assert first.properties["correlation_id"] == "corr-0"
    assert Envelope.from_json(first.body) == envelopes[0]


def test_two_relays_at_once_never_publish_a_row_twice(
    migrated_engine: Engine, outbox: Table, append: Append, broker_url: str, observer: Observer
) -> None:
    envelopes = append(300)
    relays = [relay_for(migrated_engine, outbox, broker_url, observer, batch=7) for _ in range(2)]

    with running(*relays):
        received = observer.collect(300, within_s=30)
        extra = observer.collect(301, within_s=0.5)

    counts = Counter(m.properties["message_id"] for m in extra)
    assert len(received) == 300
    assert set(counts) == {str(e.id) for e in envelopes}
    assert max(counts.values()) == 1


def test_the_relay_is_woken_by_notify_not_by_its_idle_poll(
    migrated_engine: Engine, outbox: Table, append: Append, broker_url: str, observer: Observer
) -> None:
    append(1)
    relay = OutboxRelay(
        migrated_engine, str(outbox.schema), broker_url, exchange=observer.exchange, idle_wait_s=600
    )

    with running(relay):
        observer.collect(1, within_s=10)  # the relay is now idle, waiting on LISTEN for up to 600 s
        append(1)
        received = observer.collect(2, within_s=10)  # only a NOTIFY can wake it this soon

    assert len(received) == 2


def test_marked_events_are_published_again_and_old_published_rows_purged(
    migrated_engine: Engine, outbox: Table, append: Append, broker_url: str, observer: Observer
) -> None:
    envelopes = append(3)
    relay = relay_for(migrated_engine, outbox, broker_url, observer)
    relay.drain_once()

    marked = mark_for_republish(migrated_engine, str(outbox.schema), event_ids=[envelopes[1].id])
    republished = relay.drain_once()
    purged = purge_published(migrated_engine, str(outbox.schema), older_than_h=0)

    received = observer.collect(4, within_s=5)
    assert (marked, republished, purged) == (1, 1, 3)
    assert received[-1].properties["message_id"] == str(envelopes[1].id)


def test_a_relay_without_a_broker_keeps_its_rows_and_keeps_going(
    migrated_engine: Engine, outbox: Table, append: Append, caplog: pytest.LogCaptureFixture
) -> None:
    append(2)
    relay = OutboxRelay(migrated_engine, str(outbox.schema), "amqp://guest:guest@127.0.0.1:1//", exchange="x")

    with running(relay):
        deadline = time.monotonic() + 10
        while "retrying" not in caplog.text and time.monotonic() < deadline:
            threading.Event().wait(0.01)

    assert "outbox relay" in caplog.text
    assert unpublished(migrated_engine, outbox) == 2
