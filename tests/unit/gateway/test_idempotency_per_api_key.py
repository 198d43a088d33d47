"""Idempotency keys belong to the API key that sent them, and each command records which API key that was."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.gateway import hash_key
from app.gateway.auth import key_id
from app.orders import OrderStatus
from tests.unit.gateway.fake_gateway import USER, FakeGateway, an_order, unit_settings

KEY_A = "pf_live_client-a-0123456789"
KEY_B = "pf_live_client-b-9876543210"
BODY = {"userId": str(USER), "total": 999}


@pytest.fixture
def secured(fakes: FakeGateway) -> FlaskClient:
    return fakes.build(unit_settings(api_key_hashes=(hash_key(KEY_A), hash_key(KEY_B)))).test_client()


def post_as(client: FlaskClient, api_key: str, idempotency_key: str = "order-1") -> TestResponse:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency_key}
    return client.post("/api/orders", json=BODY, headers=headers)


def cancel_as(client: FlaskClient, api_key: str, order_id: uuid.UUID) -> TestResponse:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "cancel-1"}
    return client.patch(f"/api/orders/{order_id}/cancel", headers=headers)


def test_a_key_id_is_the_first_12_hex_digits_of_the_configured_digest() -> None:
    assert key_id(hash_key("abc")) == "ba7816bf8f01"


def test_another_client_sending_the_same_idempotency_key_and_body_gets_an_order_of_its_own(
    secured: FlaskClient, fakes: FakeGateway
) -> None:
    first = post_as(secured, KEY_A)

    second = post_as(secured, KEY_B)

    assert second.status_code == 202
    assert second.get_json()["orderId"] != first.get_json()["orderId"]
    assert "Idempotent-Replayed" not in second.headers
    assert len(fakes.commands.events) == 2
    # and each client's retry replays its own answer
    assert (post_as(secured, KEY_A).data, post_as(secured, KEY_B).data) == (first.data, second.data)


def test_a_cancel_key_of_one_client_is_not_replayed_to_another(
    secured: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders.append(order)
    cancel_as(secured, KEY_A, order.id)

    reply = cancel_as(secured, KEY_B, order.id)

    assert reply.status_code == 202
    assert "Idempotent-Replayed" not in reply.headers
    assert len(fakes.commands.commands) == 2


def test_each_command_records_the_id_of_the_api_key_that_sent_it(
    secured: FlaskClient, fakes: FakeGateway
) -> None:
    post_as(secured, KEY_A, "a-1")
    post_as(secured, KEY_B, "b-1")

    recorded = {c.idempotency_key: c.api_key_id for c in fakes.commands.commands}

    assert recorded == {"a-1": key_id(hash_key(KEY_A)), "b-1": key_id(hash_key(KEY_B))}


def test_with_authentication_off_commands_record_no_key_id_and_keys_are_one_namespace(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    first = client.post("/api/orders", json=BODY, headers={"Idempotency-Key": "order-1"})

    again = client.post("/api/orders", json=BODY, headers={"Idempotency-Key": "order-1"})

    assert again.data == first.data
    assert [c.api_key_id for c in fakes.commands.commands] == [""]
