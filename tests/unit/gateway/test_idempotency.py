"""Idempotency-Key: a retry replays the first answer byte for byte and writes nothing; another body with
the key is 422; without a key nothing is kept to compare with."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.orders import OrderStatus
from tests.unit.gateway.fake_gateway import USER, FakeGateway, an_order


def post(client: FlaskClient, total: object, key: str | None = "key-1") -> TestResponse:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post("/api/orders", json={"userId": str(USER), "total": total}, headers=headers)


def cancel(client: FlaskClient, order_id: uuid.UUID | str, key: str) -> TestResponse:
    return client.patch(f"/api/orders/{order_id}/cancel", headers={"Idempotency-Key": key})


def test_a_retry_with_the_same_key_and_body_replays_the_same_answer_and_writes_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    first = post(client, 999)

    second = post(client, 999)

    assert second.status_code == 202
    assert second.data == first.data
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert len(fakes.commands.commands) == 1
    assert len(fakes.commands.events) == 1


def test_a_replay_sends_the_stored_answer_as_it_was_first_written(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    first = post(client, 999)

    second = post(client, 999)

    [stored] = fakes.commands.commands
    assert second.get_data(as_text=True) == stored.response_body == first.get_data(as_text=True)
    assert list(second.get_json()) == ["orderId", "message", "status"]


def test_the_same_amount_written_differently_is_the_same_request(client: FlaskClient) -> None:
    first = post(client, 999)

    second = post(client, 999.00)

    assert second.get_json()["orderId"] == first.get_json()["orderId"]


def test_the_same_key_with_a_different_body_is_422_and_writes_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    post(client, 999)

    reply = post(client, 998)

    assert reply.status_code == 422
    assert "Idempotency-Key" in reply.get_json()["message"]
    assert len(fakes.commands.events) == 1


def test_different_keys_create_different_orders(client: FlaskClient, fakes: FakeGateway) -> None:
    post(client, 10, key="a")

    post(client, 10, key="b")

    assert len({c.order_id for c in fakes.commands.commands}) == 2


def test_without_a_key_a_repeated_request_is_a_new_order(client: FlaskClient, fakes: FakeGateway) -> None:
    post(client, 10, key=None)

    post(client, 10, key=None)

    assert len({c.order_id for c in fakes.commands.commands}) == 2
    assert len(fakes.commands.events) == 2


def test_the_request_hash_is_stored_only_with_an_idempotency_key(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    post(client, 10, key=None)

    post(client, 10, key="with-key")

    without_key, with_key = fakes.commands.commands
    assert (without_key.idempotency_key, without_key.request_hash) == (None, None)
    assert with_key.idempotency_key == "with-key"
    assert re.fullmatch("[0-9a-f]{64}", with_key.request_hash or "")


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tinside", "é-accent"])
def test_a_malformed_idempotency_key_is_400(client: FlaskClient, fakes: FakeGateway, key: str) -> None:
    reply = client.post(
        "/api/orders",
        json={"userId": str(USER), "total": 1},
        headers=[("Idempotency-Key", key.encode().decode("latin-1"))],
    )

    assert reply.status_code == 400
    assert "Idempotency-Key" in reply.get_json()["message"]
    assert fakes.commands.commands == []


def test_an_idempotency_key_header_sent_twice_is_400_and_stores_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    reply = client.post(
        "/api/orders",
        json={"userId": str(USER), "total": 1},
        headers=[("Idempotency-Key", "key-1"), ("Idempotency-Key", "key-1")],
    )

    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Idempotency-Key must be sent once, and may not contain a comma"
    assert fakes.commands.commands == []


def test_a_repeated_cancel_replays_its_202_byte_for_byte_after_the_order_became_cancelled(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PAID)
    fakes.orders.orders = [order]
    first = cancel(client, order.id, "c-1")
    fakes.orders.orders = [dataclasses.replace(order, status=OrderStatus.CANCELLED)]

    second = cancel(client, order.id, "c-1")

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.data == first.data
    assert len(fakes.commands.events) == 1


def test_one_cancel_key_reused_for_another_order_is_422(client: FlaskClient, fakes: FakeGateway) -> None:
    orders = [an_order(OrderStatus.PENDING) for _ in range(2)]
    fakes.orders.orders = orders
    cancel(client, orders[0].id, "c-2")

    reply = cancel(client, orders[1].id, "c-2")

    assert reply.status_code == 422
    assert len(fakes.commands.events) == 1


@pytest.mark.parametrize(
    ("first", "then"), [("create_order", "cancel_order"), ("cancel_order", "create_order")]
)
def test_a_key_used_for_one_command_is_422_on_the_other_and_stores_nothing(
    client: FlaskClient, fakes: FakeGateway, first: str, then: str
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]
    send = {
        "create_order": lambda: post(client, 10, key="shared"),
        "cancel_order": lambda: cancel(client, order.id, "shared"),
    }
    send[first]()

    reply = send[then]()

    assert reply.status_code == 422
    assert "Idempotency-Key" in reply.get_json()["message"]
    assert [c.kind for c in fakes.commands.commands] == [first]


def test_a_cancel_retried_with_the_id_in_upper_case_is_the_same_request(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PAID)
    fakes.orders.orders = [order]
    cancel(client, order.id, "c-3")

    reply = cancel(client, str(order.id).upper(), "c-3")

    assert reply.status_code == 202
    assert reply.headers["Idempotent-Replayed"] == "true"
