"""Liveness always answers; readiness is 503 with the reason while a dependency is not ok."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient

from app.gateway import create_app
from tests.unit.gateway.fake_gateway import FakeGateway


@pytest.fixture
def probed(fakes: FakeGateway) -> FlaskClient:
    """The gateway with a fake readiness check (build_gateway's checks the real database and broker)."""
    return create_app(fakes.deps()).test_client()


def test_liveness_answers_ok(client: FlaskClient) -> None:
    reply = client.get("/api/health/live")

    assert (reply.status_code, reply.get_json()) == (200, {"status": "ok"})


def test_readiness_is_200_when_every_dependency_is_ok(probed: FlaskClient) -> None:
    reply = probed.get("/api/health/ready")

    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok", "database": "ok", "broker": "ok", "migrations": "ok"}


def test_readiness_is_503_naming_the_dependency_that_is_down(probed: FlaskClient, fakes: FakeGateway) -> None:
    fakes.readiness["broker"] = "connection refused"

    reply = probed.get("/api/health/ready")

    assert reply.status_code == 503
    assert reply.get_json()["status"] == "unavailable"
    assert reply.get_json()["broker"] == "connection refused"


def test_readiness_is_503_when_the_check_itself_fails(fakes: FakeGateway) -> None:
    def broken() -> dict[str, str]:
        raise RuntimeError("boom")

    client = create_app(dataclasses.replace(fakes.deps(), readiness=broken)).test_client()

    reply = client.get("/api/health/ready")

    assert reply.status_code == 503
    assert reply.get_json()["database"] == "check failed: RuntimeError"


def test_the_built_gateway_reports_an_unreachable_database_as_not_ready(client: FlaskClient) -> None:
    # The unit settings point at a port nothing listens on, so the real check fails at once.
    reply = client.get("/api/health/ready")

    body = reply.get_json()
    assert reply.status_code == 503
    assert body["database"].startswith("unreachable: ")
    assert body["migrations"] == "unknown"
