"""The topology app.bootstrap derives, on real RabbitMQ: declared idempotently, routed as the modules
handle, and retry queues sending messages back to their inbox when the delay expires."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu.connection import Connection

from app.bootstrap import topology
from app.bus import Topology, connect
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import retry_queue_name
from app.config import Settings
from tests.integration.bus.conftest import RETRY_DELAYS_MS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def routes() -> Topology:
    return topology(Settings.from_env({"PAYFLOW_RETRY_DELAYS_MS": ",".join(map(str, RETRY_DELAYS_MS))}))


@pytest.fixture
def amqp(broker_url: str, routes: Topology) -> Iterator[Connection]:
    """A connection to this test's vhost with the whole topology declared."""
    with connect(broker_url) as connection:
        routes.declare(connection)
        yield connection


def publish(connection: Connection, exchange: str, routing_key: str) -> None:
    publisher = ConfirmingPublisher(connection)
    publisher.publish(
        b"{}", exchange=exchange, routing_key=routing_key, headers={}, message_id=None, correlation_id=None
    )
    publisher.confirm()


def test_declaring_the_topology_twice_changes_nothing(amqp: Connection, routes: Topology) -> None:
    routes.declare(amqp)

    depths = routes.depths(amqp)

    assert depths == {
        "payflow.unroutable": 0,
        **{
            f"{queue}{suffix}": 0
            for queue in ("orders.inbox", "payments.inbox")
            for suffix in ("", ".dead-letters", *(f".retry.{ms}" for ms in RETRY_DELAYS_MS))
        },
    }


def test_order_events_reach_both_inboxes_and_payment_results_only_the_orders_inbox(
    amqp: Connection, routes: Topology
) -> None:
    publish(amqp, "gateway.events", "order.created")
    publish(amqp, "gateway.events", "order.cancelled")
    publish(amqp, "payments.events", "payment.approved")
    publish(amqp, "payments.events", "payment.refunded")  # nobody handles it

    depths = routes.depths(amqp)

    assert (depths["orders.inbox"], depths["payments.inbox"]) == (3, 2)


def test_a_message_in_a_retry_queue_returns_to_its_inbox_when_its_delay_expires(
    amqp: Connection, routes: Topology
) -> None:
    publish(amqp, "", retry_queue_name("payments.inbox", RETRY_DELAYS_MS[0]))

    wait_until(lambda: routes.depths(amqp)["payments.inbox"] == 1, timeout=10, what="the retry to expire")

    assert routes.depths(amqp)[retry_queue_name("payments.inbox", RETRY_DELAYS_MS[0])] == 0
