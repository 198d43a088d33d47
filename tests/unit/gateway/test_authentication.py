"""API keys: Bearer keys checked against sha256 digests, 401 in the one error shape, probes and docs open."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.gateway import hash_key
from app.gateway.auth import bearer_token, matching_digest
from tests.unit.gateway.fake_gateway import USER, FakeGateway, unit_settings

KEY = "pf_live_current-key-0123456789"
OLD_KEY = "pf_live_previous-key-9876543210"
ERROR_KEYS = {"statusCode", "error", "message", "correlationId"}


@pytest.fixture
def secured(fakes: FakeGateway) -> FlaskClient:
    settings = unit_settings(api_key_hashes=(hash_key(KEY), hash_key(OLD_KEY)))
    return fakes.build(settings).test_client()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_hashes_to_a_sha256_digest() -> None:
    assert hash_key("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_key_matches_any_configured_digest_so_keys_can_be_rotated() -> None:
    digests = [hash_key(OLD_KEY), hash_key(KEY)]

    assert matching_digest(KEY, digests) == hash_key(KEY)
    assert matching_digest(OLD_KEY, digests) == hash_key(OLD_KEY)
    assert matching_digest("guess", digests) is None
    assert matching_digest(KEY, []) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None)],
)
def test_only_the_bearer_scheme_carries_a_key(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/orders"),
        ("POST", "/api/orders"),
        ("GET", f"/api/orders/{uuid.uuid4()}"),
        ("PATCH", f"/api/orders/{uuid.uuid4()}/cancel"),
        ("GET", "/api/payments/stats"),
        ("GET", "/api/no-such-route"),
    ],
)
def test_every_api_route_without_a_key_is_401_in_the_error_shape(
    secured: FlaskClient, method: str, path: str
) -> None:
    reply = secured.open(path, method=method)

    assert reply.status_code == 401
    assert set(reply.get_json()) == ERROR_KEYS
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_key_is_401_and_the_answer_never_echoes_it(secured: FlaskClient) -> None:
    reply = secured.get("/api/orders", headers=bearer("not-the-key-s3cr3t"))

    assert reply.status_code == 401
    assert b"s3cr3t" not in reply.data
    assert "s3cr3t" not in str(reply.headers)


def test_the_key_is_checked_before_the_body_is_looked_at(secured: FlaskClient, fakes: FakeGateway) -> None:
    reply = secured.post("/api/orders", data="not json", content_type="text/plain")

    assert reply.status_code == 401
    assert fakes.commands.commands == []


@pytest.mark.parametrize("key", [KEY, OLD_KEY])
def test_a_request_with_a_configured_key_is_served(secured: FlaskClient, key: str) -> None:
    reply = secured.post("/api/orders", json={"userId": str(USER), "total": 10}, headers=bearer(key))

    assert reply.status_code == 202


@pytest.mark.parametrize("path", ["/api/health/live", "/api/openapi.json", "/api/docs"])
def test_probes_and_the_api_document_need_no_key(secured: FlaskClient, path: str) -> None:
    reply = secured.get(path)

    assert reply.status_code == 200


def test_the_readiness_probe_needs_no_key(secured: FlaskClient) -> None:
    # Built by build_gateway, readiness checks a database that is not there: 503, yet never 401.
    reply = secured.get("/api/health/ready")

    assert reply.status_code == 503
    assert reply.get_json()["status"] == "unavailable"


def test_without_configured_keys_the_api_is_open(client: FlaskClient) -> None:
    reply = client.get("/api/orders")

    assert reply.status_code == 200


def test_building_the_gateway_warns_loudly_only_when_authentication_is_off(
    fakes: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        fakes.build(unit_settings())
        fakes.build(unit_settings(api_key_hashes=(hash_key(KEY),)))

    [record] = [r for r in caplog.records if "authentication" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "authentication is OFF" in record.getMessage()


def test_the_api_document_declares_bearer_auth_except_on_the_probes(app: Flask) -> None:
    document = app.test_client().get("/api/openapi.json").get_json()

    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/api/health/ready"]["get"]["security"] == []
    assert "security" not in document["paths"]["/api/orders"]["get"]


def test_operator_actions_are_not_reachable_over_http(app: Flask) -> None:
    rules = [rule.rule for rule in app.url_map.iter_rules()]

    operator_words = ("dead", "dlq", "replay", "republish", "admin", "reconcile", "purge")
    assert [rule for rule in rules if any(word in rule.lower() for word in operator_words)] == []
    assert {rule.split("/")[2] for rule in rules if rule.startswith("/api/")} == {
        "orders",
        "payments",
        "health",
        "docs",
        "openapi.json",
    }
