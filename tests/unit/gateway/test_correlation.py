"""Correlation ids: echoed on every response, validated, carried into events and the access log."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask.testing import FlaskClient

from tests.unit.gateway.fake_gateway import USER, FakeGateway


def test_a_well_formed_correlation_id_is_echoed(client: FlaskClient) -> None:
    reply = client.get("/api/health/live", headers={"X-Correlation-Id": "abc.DEF_1:2-3"})

    assert reply.headers["X-Correlation-Id"] == "abc.DEF_1:2-3"


def test_a_request_id_is_used_when_no_correlation_id_is_sent(client: FlaskClient) -> None:
    reply = client.get("/api/health/live", headers={"X-Request-Id": "req-42"})

    assert reply.headers["X-Correlation-Id"] == "req-42"


@pytest.mark.parametrize("sent", ["", "x" * 101, "has space", "semi;colon", "<script>"])
def test_a_malformed_correlation_id_is_replaced_by_a_fresh_uuid(client: FlaskClient, sent: str) -> None:
    reply = client.get("/api/health/live", headers={"X-Correlation-Id": sent})

    assert uuid.UUID(reply.headers["X-Correlation-Id"]).version == 4


def test_error_responses_carry_the_correlation_id_in_header_and_body(client: FlaskClient) -> None:
    reply = client.get(f"/api/orders/{uuid.uuid4()}", headers={"X-Correlation-Id": "trace-7"})

    assert reply.status_code == 404
    assert reply.headers["X-Correlation-Id"] == "trace-7"
    assert reply.get_json()["correlationId"] == "trace-7"


def test_a_generated_correlation_id_travels_in_the_event(client: FlaskClient, fakes: FakeGateway) -> None:
    reply = client.post("/api/orders", json={"userId": str(USER), "total": 1})

    [event] = fakes.commands.events
    assert event.correlation_id == reply.headers["X-Correlation-Id"]


def test_the_correlation_id_sent_with_a_cancel_travels_in_its_event(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    accepted = client.post("/api/orders", json={"userId": str(USER), "total": 1}).get_json()

    client.patch(f"/api/orders/{accepted['orderId']}/cancel", headers={"X-Correlation-Id": "cancel-9"})

    assert [event.correlation_id for event in fakes.commands.events][1:] == ["cancel-9"]


def test_each_request_logs_one_line_with_method_path_status_and_time(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.gateway.access")

    client.get("/api/orders/not-a-uuid")

    [line] = [r.getMessage() for r in caplog.records if r.name == "app.gateway.access"]
    assert line.startswith("GET /api/orders/not-a-uuid 400 ")
    assert line.endswith("ms")
