"""The broker settings take a list of nodes of one broker: checked at start-up, redacted node by node."""

from __future__ import annotations

import pytest

from app.bus.role_users import role_users
from app.config import ConfigError, Settings
from app.persistence.engine import redact_url

NODE_1 = "amqp://payflow:s3cret@rabbit-1:5672/payflow"
NODE_2 = "amqp://payflow:s3cret@rabbit-2:5673/payflow"
NODE_3 = "amqp://payflow:s3cret@rabbit-3:5674/payflow"


def test_the_broker_url_takes_several_nodes_separated_by_semicolons_spaces_trimmed() -> None:
    settings = Settings.from_env({"PAYFLOW_BROKER_URL": f" {NODE_1} ; {NODE_2};{NODE_3} "})

    assert settings.broker_url == f"{NODE_1};{NODE_2};{NODE_3}"


def test_each_role_broker_url_takes_a_node_list_too_and_stays_optional() -> None:
    settings = Settings.from_env({"PAYFLOW_ORDERS_BROKER_URL": f"{NODE_1}; {NODE_2}"})

    assert settings.orders_broker_url == f"{NODE_1};{NODE_2}"
    assert (settings.gateway_broker_url, settings.payments_broker_url) == ("", "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"{NODE_1};{NODE_2.replace('s3cret', 'other')}", "same user, password and vhost"),
        (f"{NODE_1};{NODE_2.replace('payflow:', 'admin:')}", "same user, password and vhost"),
        (f"{NODE_1};{NODE_2.replace('/payflow', '/staging')}", "same user, password and vhost"),
        (f"{NODE_1};{NODE_1.replace('rabbit-1:', 'RABBIT-1:')}", "not list a node twice"),
        (f"{NODE_1};{NODE_2.replace(':5673', '')}", "every node its port"),
        (f"{NODE_1};;{NODE_2}", "empty entry"),
        (f"{NODE_1};", "empty entry"),
        (f"{NODE_1};rabbit-2:5672", "amqp://user:password@host:port/vhost"),
        ("http://payflow:s3cret@rabbit-1/", "amqp://user:password@host:port/vhost"),
        ("amqp://payflow:s3cret@rabbit-1:99999/payflow", "port between 1 and 65535"),
        (f"memory://;{NODE_1}", "only as amqp:// or amqps://"),
        (" ; ", "must not be empty"),
    ],
)
def test_a_node_list_that_is_not_one_broker_stops_start_up_saying_why_without_the_password(
    value: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"PAYFLOW_PAYMENTS_BROKER_URL": value})

    assert "PAYFLOW_PAYMENTS_BROKER_URL" in str(raised.value)
    assert reason in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_redacted_node_list_hides_every_password() -> None:
    assert redact_url(f"{NODE_1};{NODE_2}") == (
        "amqp://payflow:***@rabbit-1:5672/payflow;amqp://payflow:***@rabbit-2:5673/payflow"
    )


def test_the_role_user_of_a_node_list_is_the_user_its_nodes_share() -> None:
    owner = Settings.from_env({}).broker_url
    listed = f"{NODE_1};{NODE_2}".replace("payflow:s3cret", "payflow-orders:pw")

    users = role_users({"orders": listed}, owner)

    assert [(u.role, u.name, u.password, u.vhost) for u in users] == [
        ("orders", "payflow-orders", "pw", "payflow")
    ]
