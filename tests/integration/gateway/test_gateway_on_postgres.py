"""The gateway as app.bootstrap builds it, on PostgreSQL as its own role: commands, keys and reads."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from app.bootstrap import build_gateway
from app.config import Settings
from app.contracts import Envelope
from tests.integration.events import approved, created
from tests.integration.gateway.commands import rows
from tests.integration.orders.sql_orders import apply
from tests.integration.payments.sql_payments import FakeProvider, build, deliver

pytestmark = pytest.mark.integration

USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
Reply = tuple[int, Any, dict[str, str]]


@pytest.fixture
def gateway_app(database_url: str, role_prefix: str) -> Flask:
    """Built from settings like a gunicorn worker: it connects as <prefix>_gateway, in autocommit mode."""
    env = {"PAYFLOW_DATABASE_URL": database_url, "PAYFLOW_DATABASE_ROLE_PREFIX": role_prefix}
    settings = Settings.from_env(env | {"PAYFLOW_LOG_FORMAT": "text"})
    return build_gateway(settings).app


@pytest.fixture
def client(gateway_app: Flask) -> FlaskClient:
    return gateway_app.test_client()


def post_order(client: FlaskClient, total: object, key: str | None = None) -> Reply:
    headers = {"X-Correlation-Id": "it-1", **({"Idempotency-Key": key} if key else {})}
    reply = client.post("/api/orders", json={"userId": USER, "total": total}, headers=headers)
    return reply.status_code, reply.get_json(), dict(reply.headers)


def test_accepting_an_order_stores_one_command_carrying_order_created(
    client: FlaskClient, engine: Engine
) -> None:
    status, body, _ = post_order(client, 999)

    [row] = rows(engine, order_id=uuid.UUID(body["orderId"]))
    assert status == 202
    assert (row.event_type, row.correlation_id, row.published_at) == ("order.created", "it-1", None)
    assert Envelope.from_json(row.body).payload["total"] == "999.00"


def test_cancelling_an_order_never_created_is_404_and_stores_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    reply = client.patch(f"/api/orders/{uuid.uuid4()}/cancel")

    assert reply.status_code == 404
    assert rows(engine) == []


def test_cancelling_an_order_accepted_but_not_stored_yet_stores_order_cancelled(
    client: FlaskClient, engine: Engine
) -> None:
    _, created_body, _ = post_order(client, 5)
    order_id = uuid.UUID(created_body["orderId"])

    reply = client.patch(f"/api/orders/{order_id}", json={"status": "CANCELLED"})

    assert reply.status_code == 202
    assert [row.event_type for row in rows(engine, order_id=order_id)] == ["order.created", "order.cancelled"]


def test_a_replayed_key_answers_the_stored_bytes_and_stores_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "k-replay"}
    first = client.post("/api/orders", json={"userId": USER, "total": 12.5}, headers=headers)

    second = client.post("/api/orders", json={"userId": USER, "total": 12.50}, headers=headers)

    assert (second.status_code, second.data) == (202, first.data)
    assert second.headers["Idempotent-Replayed"] == "true"
    [row] = rows(engine)
    assert row.response_body == first.get_data(as_text=True)


def test_a_key_reused_with_another_body_is_422_and_stores_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    post_order(client, 10, "k-reused")

    status, _, _ = post_order(client, 11, "k-reused")

    assert status == 422
    assert len(rows(engine)) == 1


def test_a_key_used_for_a_create_is_422_on_a_cancel_and_stores_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    _, created_body, _ = post_order(client, 10, "k-create")

    reply = client.patch(
        f"/api/orders/{created_body['orderId']}/cancel", headers={"Idempotency-Key": "k-create"}
    )

    assert reply.status_code == 422
    assert [row.event_type for row in rows(engine)] == ["order.created"]


def test_a_key_used_for_a_cancel_is_422_on_a_create_and_stores_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    _, created_body, _ = post_order(client, 10)
    cancelled = client.patch(
        f"/api/orders/{created_body['orderId']}/cancel", headers={"Idempotency-Key": "k-cancel"}
    )

    status, _, _ = post_order(client, 10, "k-cancel")

    assert (cancelled.status_code, status) == (202, 422)
    assert [row.event_type for row in rows(engine)] == ["order.created", "order.cancelled"]


def test_concurrent_posts_with_one_key_create_one_order(gateway_app: Flask, engine: Engine) -> None:
    start, replies = threading.Barrier(8), []

    def send() -> None:
        client = gateway_app.test_client()
        start.wait()
        replies.append(post_order(client, 77, "k-race"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _, _ in replies] == [202] * 8
    assert len({body["orderId"] for _, body, _ in replies}) == 1
    assert len(rows(engine)) == 1


def test_orders_pages_and_payment_stats_are_read_through_the_gateways_role(
    client: FlaskClient, engine: Engine
) -> None:
    order_id = uuid.uuid4()
    apply(engine, created(order_id), approved(order_id))
    deliver(build(engine, FakeProvider()), created(order_id))

    one = client.get(f"/api/orders/{order_id}")
    paid = client.get("/api/orders?status=PAID")
    stats = client.get("/api/payments/stats")

    assert (one.status_code, one.get_json()["status"]) == (200, "PAID")
    assert paid.get_json()["meta"]["total"] == 1
    approved_stats = [entry for entry in stats.get_json()["byStatus"] if entry["status"] == "APPROVED"]
    assert [entry["count"] for entry in approved_stats] == [1]
