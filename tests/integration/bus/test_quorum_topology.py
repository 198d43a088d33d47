"""The topology on real RabbitMQ: quorum queues, the broker's delivery limit behind the worker's attempts,
events no binding takes parked in payflow.unroutable, and the gauge that shows them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu.connection import Connection
from prometheus_client import REGISTRY

from app.bootstrap import topology
from app.bus import QueueGauges, Topology, connect, list_dead_letters
from app.bus.entities import DELIVERY_LIMIT
from app.bus.publisher import ConfirmingPublisher
from app.config import Settings
from tests.support.services import queue_types
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def routes() -> Topology:
    return topology(Settings.from_env({"PAYFLOW_RETRY_DELAYS_MS": "50,100"}))


@pytest.fixture
def amqp(broker_url: str, routes: Topology) -> Iterator[Connection]:
    with connect(broker_url) as connection:
        routes.declare(connection)
        yield connection


def publish(connection: Connection, exchange: str, routing_key: str, message_id: str = "m-1") -> None:
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


@pytest.mark.usefixtures("amqp")
def test_every_queue_of_the_topology_is_a_quorum_queue(broker_url: str, routes: Topology) -> None:
    types = queue_types(broker_url)

    family = {queue.name for inbox in routes.inboxes for queue in routes.family(inbox)}
    assert set(types) == {"payflow.unroutable", "payflow.unconsumed", *family}
    assert set(types.values()) == {"quorum"}


def test_a_message_its_consumers_keep_dying_on_ends_in_the_dead_letter_queue_at_the_delivery_limit(
    amqp: Connection, broker_url: str, routes: Topology
) -> None:
    publish(amqp, "gateway.events", "order.created", message_id="kills-its-worker")
    deliveries = 0

    # Each round takes the message and drops the connection without an ack, as a worker killed by it would.
    for _ in range(DELIVERY_LIMIT + 5):
        with connect(broker_url) as dying:
            if dying.default_channel.basic_get("payments.inbox", no_ack=False) is None:
                break
            deliveries += 1

    wait_until(
        lambda: routes.depths(amqp)["payments.inbox.dead-letters"] == 1, timeout=10, what="a dead letter"
    )
    [letter] = list_dead_letters(broker_url, "payments.inbox")
    assert deliveries == DELIVERY_LIMIT + 1
    assert letter.message_id == "kills-its-worker"
    assert str(letter.error).startswith("delivery_limit")
    assert routes.depths(amqp)["orders.inbox"] == 1  # its copy in the other inbox is untouched


def test_an_event_no_queue_is_bound_for_is_kept_in_the_unroutable_queue(
    amqp: Connection, routes: Topology
) -> None:
    publish(amqp, "gateway.events", "order.teleported")
    publish(amqp, "payments.events", "payment.teleported")
    publish(amqp, "payments.events", "payment.refunded")  # a contract event nothing consumes: not a mistake

    depths = routes.depths(amqp)

    assert depths["payflow.unroutable"] == 2
    assert (depths["orders.inbox"], depths["payments.inbox"]) == (0, 0)


def test_the_queue_gauge_shows_the_unroutable_events(
    amqp: Connection, broker_url: str, routes: Topology
) -> None:
    publish(amqp, "gateway.events", "order.teleported")
    gauges = QueueGauges(broker_url, routes)

    gauges.refresh()
    gauges.close()

    sample = REGISTRY.get_sample_value("payflow_queue_messages", {"queue": "payflow.unroutable"})
    assert sample == 1


def test_the_queue_gauges_keep_one_connection_and_connect_afresh_once_it_broke(
    amqp: Connection, broker_url: str, routes: Topology
) -> None:
    gauges = QueueGauges(broker_url, routes)
    gauges.refresh()
    kept = gauges.connection

    gauges.refresh()
    reused = gauges.connection is kept
    assert kept is not None
    kept.connection.sock.close()  # the link breaks between two refreshes
    gauges.refresh()  # fails on the broken link, logged
    publish(amqp, "gateway.events", "order.teleported")
    gauges.refresh()

    sample = REGISTRY.get_sample_value("payflow_queue_messages", {"queue": "payflow.unroutable"})
    assert reused
    assert gauges.connection is not None
    assert gauges.connection is not kept
    assert sample == 1
    gauges.close()
