"""Idempotency-Key: a retry replays the first answer and writes nothing; another body with the key is 422."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from tests.unit.gateway.fake_gateway import FakeGateway, Order

USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


def post(
    client: FlaskClient, total: object, key: str = "key-1"
) -> tuple[int, dict[str, object], dict[str, str]]:
    reply = client.post(
        "/api/orders", json={"userId": USER, "total": total}, headers={"Idempotency-Key": key}
    )
    return reply.status_code, reply.get_json(), dict(reply.headers)


def test_a_retry_with_the_same_key_and_body_replays_the_same_order_id(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    first = post(client, 999)

    second = post(client, 999)

    assert second[0] == 202
    assert second[1] == first[1]
    assert second[2]["Idempotent-Replayed"] == "true"
    assert second[2]["Location"] == first[2]["Location"]
    assert "Idempotent-Replayed" not in first[2]
    assert len(fakes.commands.commands) == 1
    assert len(fakes.commands.events) == 1


def test_the_same_amount_written_differently_is_the_same_request(client: FlaskClient) -> None:
    first = post(client, 999)

    second = post(client, 999.00)

    assert second[1]["orderId"] == first[1]["orderId"]


def test_the_same_key_with_a_different_body_is_422_and_writes_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    post(client, 999)

    status, body, _ = post(client, 998)

    assert status == 422
    assert "Idempotency-Key" in str(body["message"])
    assert len(fakes.commands.events) == 1


def test_different_keys_create_different_orders(client: FlaskClient, fakes: FakeGateway) -> None:
    post(client, 10, key="a")

    post(client, 10, key="b")

    assert len({c.order_id for c in fakes.commands.commands}) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tinside", "é-accent"])
def test_a_malformed_idempotency_key_is_400(client: FlaskClient, fakes: FakeGateway, key: str) -> None:
    reply = client.post(
        "/api/orders",
        json={"userId": USER, "total": 1},
        headers=[("Idempotency-Key", key.encode().decode("latin-1"))],
    )

    assert reply.status_code == 400
    assert "Idempotency-Key" in reply.get_json()["message"]
    assert fakes.commands.commands == []


def test_a_repeated_cancel_replays_its_202_after_the_order_became_cancelled(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order_id = uuid.uuid4()
    fakes.orders.orders = [Order(order_id, uuid.UUID(USER), Decimal(5), "PAID")]
    first = client.patch(f"/api/orders/{order_id}/cancel", headers={"Idempotency-Key": "c-1"})
    fakes.orders.orders = [Order(order_id, uuid.UUID(USER), Decimal(5), "CANCELLED")]

    second = client.patch(f"/api/orders/{order_id}/cancel", headers={"Idempotency-Key": "c-1"})

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(fakes.commands.events) == 1


def test_one_cancel_key_reused_for_another_order_is_422(client: FlaskClient, fakes: FakeGateway) -> None:
    orders = [Order(uuid.uuid4(), uuid.UUID(USER), Decimal(5), "PENDING") for _ in range(2)]
    fakes.orders.orders = orders
    client.patch(f"/api/orders/{orders[0].id}/cancel", headers={"Idempotency-Key": "c-2"})

    reply = client.patch(f"/api/orders/{orders[1].id}/cancel", headers={"Idempotency-Key": "c-2"})

    assert reply.status_code == 422


def test_a_cancel_retried_with_the_id_in_upper_case_is_the_same_request(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order_id = uuid.uuid4()
    fakes.orders.orders = [Order(order_id, uuid.UUID(USER), Decimal(5), "PAID")]
    client.patch(f"/api/orders/{order_id}/cancel", headers={"Idempotency-Key": "c-3"})

    reply = client.patch(f"/api/orders/{str(order_id).upper()}/cancel", headers={"Idempotency-Key": "c-3"})

    assert reply.status_code == 202
    assert reply.headers["Idempotent-Replayed"] == "true"
