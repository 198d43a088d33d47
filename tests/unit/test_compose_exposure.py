"""The compose file exposes the gateway only through nginx and ships no password of its own."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from app.cli.proxy import TEMPLATE, ProxyLimits
from tests.support.compose import REFERENCE, ROOT, compose_text, interpolated, references

CREDENTIAL_KEYS = re.compile(r"PASSWORD|_PASS$|KEY_HASHES")
URL_PASSWORD = re.compile(r"://[^:/@]+:(?P<password>.*)@")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """Services as written, variables not filled in."""
    services: dict[str, Any] = yaml.safe_load(compose_text())["services"]
    return services


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = interpolated(compose_text())["services"]
    return found


def published_ports(service: dict[str, Any]) -> set[str]:
    """The host ports of `[ip:]host:container` mappings."""
    return {str(mapping).split(":")[-2] for mapping in service.get("ports", [])}


def test_only_nginx_publishes_port_3000_and_the_gateway_publishes_nothing(services: dict[str, Any]) -> None:
    publishing_3000 = {name for name, service in services.items() if "3000" in published_ports(service)}
    proxy = services["nginx"]

    assert publishing_3000 == {"nginx"}
    assert "ports" not in services["gateway"]
    assert proxy["environment"]["PROXY_UPSTREAM"] == "gateway:3000"
    assert proxy["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert "healthcheck" in proxy


def test_nginx_runs_the_repos_template_with_every_placeholder_set(services: dict[str, Any]) -> None:
    proxy = services["nginx"]
    placeholders = set(re.findall(r"\$\{(PROXY_[A-Z_]+)\}", TEMPLATE.read_text(encoding="utf-8")))

    mounted = {volume.split(":")[0]: volume.split(":")[1] for volume in proxy["volumes"]}

    assert (ROOT / mounted["./docker/nginx/payflow.conf.template"].lstrip("/")).name.endswith(".template")
    assert mounted["./docker/nginx/payflow.conf.template"].startswith("/etc/nginx/templates/")
    assert placeholders <= set(proxy["environment"])
    assert all(re.match(proxy["environment"]["NGINX_ENVSUBST_FILTER"], name) for name in placeholders)


def test_the_compose_proxy_limits_are_those_payflow_run_uses(services: dict[str, Any]) -> None:
    env = services["nginx"]["environment"]
    limits = ProxyLimits()

    assert (env["PROXY_RATE"], env["PROXY_BURST"], env["PROXY_CONNECTIONS"], env["PROXY_ADDRESS_RATE"]) == (
        limits.rate,
        str(limits.burst),
        str(limits.connections),
        limits.address_rate,
    )
    assert (env["PROXY_HEADER_TIMEOUT"], env["PROXY_BODY_TIMEOUT"]) == (
        limits.header_timeout,
        limits.body_timeout,
    )


def test_every_variable_of_the_compose_file_is_required_none_has_a_default() -> None:
    found = references(compose_text())

    assert found
    assert {match["operator"] for match in found} == {":?"}
    assert all(match["argument"].strip() for match in found), "each says what to set"


def test_no_credential_in_the_compose_file_is_written_into_it(raw: dict[str, Any]) -> None:
    environment = {
        (name, key): str(value)
        for name, service in raw.items()
        for key, value in (service.get("environment") or {}).items()
    }
    credentials = {where: value for where, value in environment.items() if CREDENTIAL_KEYS.search(where[1])}
    url_passwords = {
        where: found["password"]
        for where, value in environment.items()
        if (found := URL_PASSWORD.search(value))
    }

    assert {("postgres", "POSTGRES_PASSWORD"), ("rabbitmq", "RABBITMQ_DEFAULT_PASS")} <= set(credentials)
    assert ("grafana", "GF_SECURITY_ADMIN_PASSWORD") in credentials
    assert ("gateway", "PAYFLOW_API_KEY_HASHES") in credentials
    assert all(REFERENCE.fullmatch(value) for value in credentials.values()), credentials
    # PostgreSQL's owner, its three process roles and the watchdog; RabbitMQ's administrator and its three
    # process users
    assert len(set(url_passwords.values())) == 9
    assert all(REFERENCE.fullmatch(password) for password in url_passwords.values()), url_passwords
    assert environment[("postgres", "POSTGRES_HOST_AUTH_METHOD")] != "trust"


def test_only_setup_holds_the_broker_administrators_password_each_process_its_own_users(
    raw: dict[str, Any],
) -> None:
    holders = {
        name
        for name, service in raw.items()
        if "RABBITMQ_PASSWORD" in json.dumps(service.get("environment") or {})
    }
    own_url = {
        name: [key for key in service["environment"] if key.endswith("_BROKER_URL")]
        for name, service in raw.items()
        if name in ("gateway", "orders-worker", "payments-worker")
    }

    assert holders == {"rabbitmq", "setup"}
    assert own_url == {
        "gateway": ["PAYFLOW_GATEWAY_BROKER_URL"],
        "orders-worker": ["PAYFLOW_ORDERS_BROKER_URL"],
        "payments-worker": ["PAYFLOW_PAYMENTS_BROKER_URL"],
    }


def test_the_watchdog_service_holds_only_its_own_roles_password_which_setup_gives_the_role(
    raw: dict[str, Any],
) -> None:
    watchdog, setup = raw["watchdog"]["environment"], raw["setup"]["environment"]

    database_urls = {key: value for key, value in watchdog.items() if key.endswith("_DATABASE_URL")}

    assert raw["watchdog"]["command"] == ["watchdog"]
    assert list(database_urls) == ["PAYFLOW_WATCHDOG_DATABASE_URL"]
    assert database_urls["PAYFLOW_WATCHDOG_DATABASE_URL"].startswith(
        "postgresql+psycopg2://payflow_watchdog:"
    )
    assert "${WATCHDOG_DB_PASSWORD:?" in database_urls["PAYFLOW_WATCHDOG_DATABASE_URL"]
    assert setup["PAYFLOW_WATCHDOG_DATABASE_URL"] == database_urls["PAYFLOW_WATCHDOG_DATABASE_URL"]
