"""Setup makes a broker user per process role on real RabbitMQ; each may do its job, and the broker refuses
it everything else: the internet-facing gateway cannot forge a payment event nor read any queue. Every
check runs twice: users made with rabbitmqctl (the machine's node), and through the management HTTP API
(a throwaway node of the tests' own with the plugin, which the machine's node must not get)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from amqp.exceptions import AccessRefused
from kombu.connection import Connection

from app.bootstrap import topology
from app.bus import connect
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import DEAD_LETTERS, retry_queue_name
from app.cli.commands import declare
from app.config import Settings
from app.contracts import OrderCreated, PaymentApproved, exchange_of
from tests.support.own_rabbitmq import OwnRabbitMQ, own_rabbitmq
from tests.support.services import MACHINE_BROKER, broker_users, fresh_vhost, role_broker_env

pytestmark = pytest.mark.integration
FORGED = PaymentApproved(order_id=uuid.uuid4(), payment_id=uuid.uuid4(), amount=Decimal("10.01"))
ACCEPTED = OrderCreated(order_id=uuid.uuid4(), user_id=uuid.uuid4(), total=Decimal("10.01"))


@pytest.fixture(scope="module")
def management_node() -> Iterator[OwnRabbitMQ]:
    """A node of this module's own with the management plugin (on a free port), deleted at the end."""
    with own_rabbitmq(management=True) as node:
        yield node


@pytest.fixture(scope="module", params=["rabbitmqctl", "management API"])
def stack(request: pytest.FixtureRequest) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A vhost of its own, set up by `payflow topology` with a URL per process role, its users made by
    rabbitmqctl or the management API: the settings (as the administrator) and each role's URL."""
    admin: dict[str, str] = {}
    broker = MACHINE_BROKER
    if request.param == "management API":
        node: OwnRabbitMQ = request.getfixturevalue("management_node")
        admin, broker = {"PAYFLOW_BROKER_ADMIN_URL": node.management_url}, node.broker
    with fresh_vhost(broker=broker) as vhost_url, broker_users(vhost_url, broker=broker) as urls:
        settings = Settings.from_env({"PAYFLOW_BROKER_URL": vhost_url, **role_broker_env(urls), **admin})
        declare(settings)
        yield settings, urls


@contextlib.contextmanager
def logged_in(url: str) -> Iterator[Connection]:
    """A connection that logged in (a user setup did not make is refused here, not later)."""
    with connect(url) as connection:
        connection.connect()
        yield connection


def publish(connection: Connection, exchange: str, routing_key: str, body: str = "{}") -> None:
    """Publish one message and wait for the broker's confirm (a refusal closes the channel and raises)."""
    publisher = ConfirmingPublisher(connection)
    publisher.publish(
        body, exchange=exchange, routing_key=routing_key, headers={}, message_id=None, correlation_id=None
    )
    publisher.confirm()


def depth(settings: Settings, queue: str) -> int:
    with logged_in(settings.broker_url) as connection:
        return topology(settings).depths(connection)[queue]


def test_setup_makes_a_user_per_process_role_that_logs_in(stack: tuple[Settings, dict[str, str]]) -> None:
    _, urls = stack

    with contextlib.ExitStack() as connections:
        logged = {role: connections.enter_context(logged_in(url)).connected for role, url in urls.items()}

    assert logged == {"gateway": True, "orders": True, "payments": True}


def test_the_gateway_user_cannot_publish_a_payment_event(stack: tuple[Settings, dict[str, str]]) -> None:
    _, urls = stack
    forged = FORGED.to_envelope("forged").to_json()

    with logged_in(urls["gateway"]) as connection, pytest.raises(AccessRefused) as refused:
        publish(connection, exchange_of(PaymentApproved), PaymentApproved.TYPE, forged)

    assert "ACCESS_REFUSED - access to exchange 'payments.events'" in str(refused.value)


def test_the_gateway_user_cannot_publish_a_payment_event_on_its_own_exchange(
    stack: tuple[Settings, dict[str, str]],
) -> None:
    _, urls = stack
    forged = FORGED.to_envelope("forged").to_json()

    with logged_in(urls["gateway"]) as connection, pytest.raises(AccessRefused) as refused:
        publish(connection, exchange_of(OrderCreated), PaymentApproved.TYPE, forged)

    assert "ACCESS_REFUSED - access to topic 'payment.approved' in exchange 'gateway.events'" in str(
        refused.value
    )


def test_the_gateway_user_cannot_read_any_queue(stack: tuple[Settings, dict[str, str]]) -> None:
    settings, urls = stack
    queues = [
        entity.name for inbox in topology(settings).inboxes for entity in topology(settings).family(inbox)
    ]
    refusals = {}

    with logged_in(urls["gateway"]) as connection:
        for queue in queues:
            for read in ("basic_get", "basic_consume"):
                with pytest.raises(AccessRefused) as refused:
                    getattr(connection.channel(), read)(queue)
                refusals[queue, read] = str(refused.value)

    assert len(queues) >= 6
    assert all(
        f"ACCESS_REFUSED - access to queue '{queue}'" in refusals[queue, read] for queue, read in refusals
    )


def test_the_gateway_user_publishes_the_events_it_relays(stack: tuple[Settings, dict[str, str]]) -> None:
    settings, urls = stack
    before = depth(settings, "payments.inbox")

    with logged_in(urls["gateway"]) as connection:
        publish(
            connection, exchange_of(OrderCreated), OrderCreated.TYPE, ACCEPTED.to_envelope("ok").to_json()
        )

    assert depth(settings, "payments.inbox") == before + 1


@pytest.mark.parametrize(("role", "other"), [("orders", "payments"), ("payments", "orders")])
def test_a_worker_user_reads_its_own_inbox_and_no_other(
    stack: tuple[Settings, dict[str, str]], role: str, other: str
) -> None:
    _, urls = stack

    with logged_in(urls[role]) as connection:
        connection.channel().basic_get(f"{role}.inbox")
        with pytest.raises(AccessRefused) as refused:
            connection.channel().basic_get(f"{other}.inbox")

    assert f"ACCESS_REFUSED - access to queue '{other}.inbox'" in str(refused.value)


@pytest.mark.parametrize("role", ["orders", "payments"])
def test_a_worker_user_sends_failed_messages_to_its_retry_and_dead_letter_queues(
    stack: tuple[Settings, dict[str, str]], role: str
) -> None:
    settings, urls = stack
    queue, delay = f"{role}.inbox", max(settings.retry_delays_ms)
    retries, dead = retry_queue_name(queue, delay), f"{queue}.dead-letters"
    before = depth(settings, retries), depth(settings, dead)

    with logged_in(urls[role]) as connection:
        publish(connection, "", retries)
        publish(connection, DEAD_LETTERS.name, queue)

    assert (depth(settings, retries), depth(settings, dead)) == (before[0] + 1, before[1] + 1)


def test_the_orders_worker_user_cannot_publish_an_order_event(stack: tuple[Settings, dict[str, str]]) -> None:
    _, urls = stack

    with logged_in(urls["orders"]) as connection, pytest.raises(AccessRefused) as refused:
        publish(connection, exchange_of(OrderCreated), OrderCreated.TYPE, ACCEPTED.to_envelope("x").to_json())

    assert "ACCESS_REFUSED - access to exchange 'gateway.events'" in str(refused.value)
