"""The topology on real RabbitMQ: declared idempotently, routed as designed, retry queues expire back."""

from __future__ import annotations

import time

import pytest
from kombu.connection import Connection

from app.bus import ROLE_QUEUES, KombuPublisher, declare_topology, queue_depths
from app.bus.topology import retry_queue_name
from tests.integration.bus.conftest import RETRY_DELAYS_MS

pytestmark = pytest.mark.integration


def depths_after(connection: Connection, expected: dict[str, int], within_s: float = 5) -> dict[str, int]:
    """Queue depths once they match `expected` (RabbitMQ routes asynchronously) or the deadline passed."""
    deadline = time.monotonic() + within_s
    depths = queue_depths(connection, RETRY_DELAYS_MS)
    while {q: depths[q] for q in expected} != expected and time.monotonic() < deadline:
        depths = queue_depths(connection, RETRY_DELAYS_MS)
    return depths


def purge_role_queues(connection: Connection) -> None:
    for queue in ROLE_QUEUES.values():
        connection.default_channel.queue_purge(queue)


def test_declaring_the_topology_twice_changes_nothing(amqp: Connection) -> None:
    declare_topology(amqp, RETRY_DELAYS_MS)

    depths = queue_depths(amqp, RETRY_DELAYS_MS)

    assert set(depths) == {
        f"{queue}{suffix}"
        for queue in ROLE_QUEUES.values()
        for suffix in ("", ".dead-letters", *(f".retry.{ms}" for ms in RETRY_DELAYS_MS))
    }


def test_an_order_event_reaches_both_inboxes_and_a_payment_result_only_the_orders_inbox(
    amqp: Connection,
) -> None:
    purge_role_queues(amqp)
    publisher = KombuPublisher(amqp.default_channel)

    publisher.publish(b"{}", exchange="gateway.events", routing_key="order.created")
    publisher.publish(b"{}", exchange="payments.events", routing_key="payment.approved")
    publisher.publish(b"{}", exchange="payments.events", routing_key="payment.refunded")

    depths = depths_after(amqp, {"orders.inbox": 2, "payments.inbox": 1})
    assert (depths["orders.inbox"], depths["payments.inbox"]) == (2, 1)
    purge_role_queues(amqp)


def test_a_message_in_a_retry_queue_returns_to_its_inbox_when_its_delay_expires(amqp: Connection) -> None:
    purge_role_queues(amqp)
    publisher = KombuPublisher(amqp.default_channel)

    publisher.publish(b"{}", exchange="", routing_key=retry_queue_name("payments.inbox", RETRY_DELAYS_MS[0]))

    depths = depths_after(amqp, {"payments.inbox": 1})
    assert depths["payments.inbox"] == 1
    purge_role_queues(amqp)
