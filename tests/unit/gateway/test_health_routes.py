"""Liveness always answers; readiness is 503 with the reason while a dependency is not ok."""

from __future__ import annotations

import dataclasses

from flask.testing import FlaskClient

from app.gateway import create_app
from tests.unit.gateway.fake_gateway import FakeGateway


def test_liveness_answers_ok(client: FlaskClient) -> None:
    reply = client.get("/api/health/live")

    assert (reply.status_code, reply.get_json()) == (200, {"status": "ok"})


def test_readiness_is_200_when_every_dependency_is_ok(client: FlaskClient) -> None:
    reply = client.get("/api/health/ready")

    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok", "database": "ok", "broker": "ok", "migrations": "ok"}


def test_readiness_is_503_naming_the_dependency_that_is_down(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.readiness["broker"] = "connection refused"

    reply = client.get("/api/health/ready")

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
