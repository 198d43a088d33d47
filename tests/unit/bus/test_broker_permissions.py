"""Each process role's broker permissions are read off the topology: what it publishes and consumes."""

from __future__ import annotations

import re

import pytest

from app import bootstrap
from app.bus import grant_of
from app.bus.role_users import role_users
from app.config import Settings
from app.process_roles import process_broker_url

SETTINGS = Settings.from_env({})
TOPOLOGY = bootstrap.topology(SETTINGS)
OWN_USER = "amqp://payflow-gateway:secret@127.0.0.1:5672/payflow"


def matches(pattern: str, name: str) -> bool:
    """As RabbitMQ matches a permission pattern: anywhere in the name, so anchors matter."""
    return re.search(pattern, name) is not None


def allowed(pattern: str, *names: str) -> list[str]:
    return [name for name in names if matches(pattern, name)]


def test_the_gateway_may_only_publish_order_events_to_its_own_exchange() -> None:
    grant = grant_of("gateway", TOPOLOGY)

    assert grant.permissions == ("^$", r"^(gateway\.events)$", "^$")
    assert grant.topic_permissions == {"gateway.events": (r"^(order\.cancelled|order\.created)$", "^$")}


@pytest.mark.parametrize("role", ["gateway", *bootstrap.ROLES])
def test_no_role_may_declare_or_delete_anything(role: str) -> None:
    configure, _, _ = grant_of(role, TOPOLOGY).permissions

    # '^$' matches only the empty name, which RabbitMQ never checks (the default exchange is amq.default).
    assert allowed(configure, "orders.inbox", "payments.inbox", "gateway.events", "amq.default") == []


def test_the_orders_worker_reads_its_inbox_and_writes_only_its_retry_and_dead_letter_paths() -> None:
    _, write, read = grant_of("orders", TOPOLOGY).permissions

    assert allowed(read, "orders.inbox", "payments.inbox", "orders.inbox.dead-letters") == ["orders.inbox"]
    assert allowed(write, "amq.default", "payflow.dead-letters", "gateway.events", "payments.events") == [
        "amq.default",
        "payflow.dead-letters",
    ]
    assert grant_of("orders", TOPOLOGY).topic_permissions == {}


def test_the_payments_worker_publishes_only_payment_events_to_its_own_exchange() -> None:
    grant = grant_of("payments", TOPOLOGY)
    _, write, read = grant.permissions
    keys, _ = grant.topic_permissions["payments.events"]

    assert matches(write, "payments.events")
    assert not matches(write, "gateway.events")
    assert matches(read, "payments.inbox")
    assert not matches(read, "orders.inbox")
    assert allowed(keys, "payment.approved", "payment.refunded", "order.created", "payment.approvedx") == [
        "payment.approved",
        "payment.refunded",
    ]


def test_a_pattern_matches_whole_names_only() -> None:
    _, write, _ = grant_of("gateway", TOPOLOGY).permissions

    assert allowed(write, "gateway.events", "gateway.events2", "xgateway.events", "gatewayXevents") == [
        "gateway.events"
    ]


def test_setup_makes_a_user_for_each_role_url_with_its_password_and_vhost() -> None:
    users = role_users({"gateway": OWN_USER, "orders": "", "payments": ""}, SETTINGS.broker_url)

    assert [(u.role, u.name, u.password, u.vhost) for u in users] == [
        ("gateway", "payflow-gateway", "secret", "payflow")
    ]


def test_a_role_url_logging_in_as_the_administrator_gets_no_user() -> None:
    admin_as_role = "amqp://guest:guest@127.0.0.1:5672//"

    assert role_users({"gateway": admin_as_role}, SETTINGS.broker_url) == []


def test_a_process_with_its_own_broker_user_logs_in_as_it_and_only_checks_the_topology() -> None:
    settings = Settings.from_env({"PAYFLOW_GATEWAY_BROKER_URL": OWN_USER})

    assert process_broker_url(settings, "gateway") == OWN_USER
    assert not bootstrap.topology(settings, "gateway").declares
    assert process_broker_url(settings, "orders") == settings.broker_url
    assert bootstrap.topology(settings, "orders").declares
