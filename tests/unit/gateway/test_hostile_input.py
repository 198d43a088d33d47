"""Hostile or broken requests get a clear JSON 4xx in the one error shape, never HTML, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.orders import OrderStatus
from tests.unit.gateway.fake_gateway import USER, FakeGateway, an_order

ERROR_KEYS = {"statusCode", "error", "message", "correlationId"}


def post_raw(
    client: FlaskClient, data: bytes | str, content_type: str = "application/json"
) -> tuple[int, dict[str, Any]]:
    reply = client.post("/api/orders", data=data, content_type=content_type)
    assert reply.is_json, reply.data[:200]
    return reply.status_code, reply.get_json()


@pytest.mark.parametrize(
    "data",
    [
        b'{"userId": ',
        b"not json",
        b'{"userId": "%s", "total": NaN}' % str(USER).encode(),
        b'{"userId": "%s", "total": Infinity}' % str(USER).encode(),
        b"\xff\xfe{}",
        b'{"total": 1' + b"0" * 5000 + b"}",
    ],
)
def test_malformed_json_is_400(client: FlaskClient, data: bytes) -> None:
    status, body = post_raw(client, data)

    assert status == 400
    assert set(body) == ERROR_KEYS
    assert body["error"] == "Bad Request"


def test_duplicate_keys_are_400_naming_the_key(client: FlaskClient) -> None:
    status, body = post_raw(client, f'{{"userId": "{USER}", "total": 1, "total": 1000}}')

    assert status == 400
    assert body["message"] == "Duplicate key 'total' in JSON body"


@pytest.mark.parametrize("depth", [40, 20_000])
def test_deeply_nested_json_is_400(client: FlaskClient, depth: int) -> None:
    status, body = post_raw(client, '{"userId": ' + "[" * depth + "]" * depth + "}")

    assert status == 400
    assert "nested deeper" in body["message"]


def test_a_body_over_64_kib_is_413(client: FlaskClient, fakes: FakeGateway) -> None:
    status, body = post_raw(client, '{"userId": "' + "x" * 70_000 + '"}')

    assert status == 413
    assert body["message"] == "Request body is larger than 64 KiB"
    assert fakes.commands.commands == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_declared_json_is_415(client: FlaskClient, content_type: str) -> None:
    status, body = post_raw(client, f'{{"userId": "{USER}", "total": 1}}', content_type)

    assert status == 415
    assert "application/json" in body["message"]


def test_an_empty_body_is_422_listing_the_missing_fields(client: FlaskClient) -> None:
    status, body = post_raw(client, b"")

    assert status == 422
    assert set(body["errors"]) == {"userId", "total"}


def test_an_unknown_route_is_a_json_404(client: FlaskClient) -> None:
    reply = client.get("/api/nothing-here")

    assert reply.status_code == 404
    assert set(reply.get_json()) == ERROR_KEYS


def test_a_wrong_method_is_a_json_405_with_allow(client: FlaskClient) -> None:
    reply = client.delete("/api/orders")

    assert reply.status_code == 405
    assert reply.get_json()["statusCode"] == 405
    assert "POST" in reply.headers["Allow"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/orders", {"GET", "HEAD", "POST", "OPTIONS"}),
        (f"/api/orders/{USER}/cancel", {"PATCH", "OPTIONS"}),
        ("/api/payments/stats", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_options_is_204_with_allow_and_no_body_or_content_type(
    client: FlaskClient, path: str, allowed: set[str]
) -> None:
    reply = client.options(path)

    assert reply.status_code == 204
    assert set(reply.headers["Allow"].split(", ")) == allowed
    assert "Content-Type" not in reply.headers
    assert reply.data == b""


def test_an_absurd_page_number_is_refused_before_reaching_the_database(client: FlaskClient) -> None:
    reply = client.get("/api/orders?page=99999999999999999999")

    assert reply.status_code == 422


@pytest.mark.parametrize(
    "number", ["1e9999999999999999999999", "1e-9999999999999999999999", "-1E+9999999999999999999999"]
)
def test_a_number_with_an_exponent_beyond_any_decimal_is_400_naming_it(
    client: FlaskClient, fakes: FakeGateway, number: str
) -> None:
    status, body = post_raw(client, f'{{"userId": "{USER}", "total": {number}}}')

    assert status == 400
    assert body["message"] == f"Number {number} is out of range"
    assert fakes.commands.commands == []


def test_a_huge_exponent_as_the_status_of_a_cancel_is_400_and_cancels_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders.append(order)

    reply = client.patch(
        f"/api/orders/{order.id}",
        data='{"status": 1e9999999999999999999999}',
        content_type="application/json",
    )

    assert reply.status_code == 400
    assert "out of range" in reply.get_json()["message"]
    assert fakes.commands.commands == []


@pytest.mark.parametrize(
    "data", [b"not json", b'{"status": ', b'{"status": "CANCELLED", "status": "PAID"}', b'{"status": NaN}']
)
def test_malformed_json_sent_to_the_cancel_route_is_400_and_cancels_nothing(
    client: FlaskClient, fakes: FakeGateway, data: bytes
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders.append(order)

    reply = client.patch(f"/api/orders/{order.id}/cancel", data=data, content_type="application/json")

    assert reply.status_code == 400
    assert set(reply.get_json()) == ERROR_KEYS
    assert fakes.commands.commands == []


@pytest.mark.parametrize("number", ["1" * 101, "0." + "0" * 99 + "1", "-" + "9" * 100])
def test_a_number_longer_than_100_characters_is_400_saying_so(client: FlaskClient, number: str) -> None:
    status, body = post_raw(client, f'{{"userId": "{USER}", "total": {number}}}')

    assert status == 400
    assert "is longer than 100 characters" in body["message"]
