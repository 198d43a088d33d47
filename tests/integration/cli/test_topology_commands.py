"""`payflow topology` on a broker an older payflow set up (classic queues), its migration, and `payflow
status` counting the events no queue was bound for."""

from __future__ import annotations

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.messaging import Consumer

from app.bootstrap import topology
from app.bus import connect
from app.bus.migration import migrate
from app.bus.publisher import ConfirmingPublisher
from app.config import Settings
from tests.integration.cli.conftest import Payflow
from tests.support.services import queue_types
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

DELAYS_MS = (50, 100)
OLD_DEAD_LETTERS = Exchange("payflow.dead-letters", type="direct", durable=True)


def declare_classic_topology(connection: Connection) -> None:
    """What payflow declared before quorum queues: classic queues, exchanges without an alternate."""
    channel = connection.channel()
    for name in ("gateway.events", "payments.events"):
        Exchange(name, type="topic", durable=True)(channel).declare()
    for inbox, keys in (("orders.inbox", ["order.created"]), ("payments.inbox", ["order.created"])):
        dead_letters = {"x-dead-letter-exchange": OLD_DEAD_LETTERS.name, "x-dead-letter-routing-key": inbox}
        gateway = Exchange("gateway.events", type="topic", durable=True)
        Queue(inbox, gateway, routing_key=keys[0], durable=True, queue_arguments=dead_letters)(
            channel
        ).declare()
        Queue(f"{inbox}.dead-letters", OLD_DEAD_LETTERS, routing_key=inbox, durable=True)(channel).declare()
        for delay in DELAYS_MS:
            back = {"x-message-ttl": delay, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": inbox}
            Queue(f"{inbox}.retry.{delay}", durable=True, queue_arguments=back)(channel).declare()
    channel.close()


def publish(connection: Connection, exchange: str, routing_key: str, message_id: str) -> None:
    publisher = ConfirmingPublisher(connection)
    publisher.publish(
        b"{}",
        exchange=exchange,
        routing_key=routing_key,
        headers={},
        message_id=message_id,
        correlation_id=None,
    )
    publisher.confirm()


def waiting_ids(connection: Connection, queue: str) -> list[str]:
    channel, ids = connection.channel(), []
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        ids.append(message.properties["message_id"])
    channel.close()
    return ids


@pytest.fixture
def old_broker(broker_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PAYFLOW_BROKER_URL", broker_url)
    monkeypatch.setenv("PAYFLOW_RETRY_DELAYS_MS", ",".join(map(str, DELAYS_MS)))
    with connect(broker_url) as connection:
        declare_classic_topology(connection)
        publish(connection, "gateway.events", "order.created", "waiting-in-both-inboxes")
        publish(connection, "", "orders.inbox.dead-letters", "dead-letter")
        publish(connection, "", "payments.inbox.retry.100", "retry")
    return broker_url


def test_topology_on_classic_queues_of_an_older_payflow_fails_and_says_how_to_migrate(
    payflow: Payflow, old_broker: str
) -> None:
    outcome = payflow("topology")

    assert outcome.code == 1
    assert "orders.inbox" in outcome.err
    assert "gateway.events" in outcome.err
    assert "payflow topology --migrate" in outcome.err
    left = {name: kind for name, kind in queue_types(old_broker).items() if not name.startswith("payflow.")}
    assert set(left.values()) == {"classic"}  # what it could declare, it did; the old queues are untouched


def test_the_migration_moves_every_waiting_message_into_the_quorum_queues(
    payflow: Payflow, old_broker: str
) -> None:
    migrated = payflow("topology", "--migrate")
    again = payflow("topology")

    assert (migrated.code, again.code) == (0, 0), migrated.err
    assert {kind for name, kind in queue_types(old_broker).items() if name != "payflow.unconsumed"} == {
        "quorum"
    }
    routes = topology(Settings.from_env())
    with connect(old_broker) as connection:
        wait_until(lambda: routes.depths(connection)["payments.inbox"] == 2, timeout=10, what="the retry")
        assert waiting_ids(connection, "orders.inbox") == ["waiting-in-both-inboxes"]
        assert sorted(waiting_ids(connection, "payments.inbox")) == ["retry", "waiting-in-both-inboxes"]
        assert waiting_ids(connection, "orders.inbox.dead-letters") == ["dead-letter"]
        publish(connection, "gateway.events", "order.created", "after")  # bound again
        assert routes.depths(connection)["orders.inbox"] == 1


def test_the_migration_leaves_no_channel_open_on_its_connection(old_broker: str) -> None:
    with connect(old_broker) as connection:
        opened = connection.connect().channels.copy()  # py-amqp's open channels, by id

        migrate(connection, topology(Settings.from_env({})))

        assert connection.connection.channels.keys() == opened.keys()


def test_the_migration_refuses_while_a_worker_still_consumes_an_old_queue(
    payflow: Payflow, old_broker: str
) -> None:
    with connect(old_broker) as worker:
        Consumer(
            worker.channel(), [Queue("orders.inbox", no_declare=True)], on_message=lambda _: None
        ).consume()

        outcome = payflow("topology", "--migrate")

    assert outcome.code == 1
    assert "orders.inbox still have consumers: stop every payflow worker first" in outcome.err
    assert queue_types(old_broker)["orders.inbox"] == "classic"
    with connect(old_broker) as connection:
        assert waiting_ids(connection, "orders.inbox") == ["waiting-in-both-inboxes"]


def test_status_counts_an_event_no_queue_is_bound_for(payflow: Payflow, broker: str) -> None:
    with connect(broker) as connection:
        publish(connection, "gateway.events", "order.teleported", "teleported")

    document = payflow("status", "--json").json()
    text = payflow("status").out

    assert document["queues"]["payflow.unroutable"] == 1
    assert any(line.split() == ["payflow.unroutable", "1"] for line in text.splitlines())
