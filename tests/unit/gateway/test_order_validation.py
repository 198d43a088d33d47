"""POST /api/orders and list queries refuse every malformed value with 422 and the offending field."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.gateway.fake_gateway import FakeGateway

USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"userId": USER, "total": -1}, "total"),
        ({"userId": USER, "total": 0}, "total"),
        ({"userId": USER, "total": 0.0}, "total"),
        ({"userId": USER, "total": 10.001}, "total"),
        ({"userId": USER, "total": 1000000.01}, "total"),
        ({"userId": USER, "total": 10**30}, "total"),
        ({"userId": USER, "total": 1e300}, "total"),
        ({"userId": USER, "total": "10.00"}, "total"),
        ({"userId": USER, "total": True}, "total"),
        ({"userId": USER, "total": None}, "total"),
        ({"userId": USER, "total": [10]}, "total"),
        ({"userId": USER}, "total"),
        ({"total": 10}, "userId"),
        ({"userId": "not-a-uuid", "total": 10}, "userId"),
        ({"userId": 12345, "total": 10}, "userId"),
        ({"userId": USER, "total": 10, "extra": 1}, "extra"),
    ],
)
def test_an_invalid_order_is_422_naming_the_field_and_creates_nothing(
    client: FlaskClient, fakes: FakeGateway, body: dict[str, Any], field: str
) -> None:
    reply = client.post("/api/orders", json=body)

    error = reply.get_json()
    assert reply.status_code == 422
    assert error["statusCode"] == 422
    assert error["error"] == "Unprocessable Entity"
    assert field in error["errors"]
    assert fakes.commands.commands == []


@pytest.mark.parametrize("total", [0.01, 1, 999, 25.5, 1000000, 1000000.00])
def test_totals_within_bounds_with_at_most_two_decimals_are_accepted(
    client: FlaskClient, total: float
) -> None:
    reply = client.post("/api/orders", json={"userId": USER, "total": total})

    assert reply.status_code == 202


def test_a_body_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    reply = client.post("/api/orders", json=[{"userId": USER, "total": 1}])

    assert reply.status_code == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("status=SHIPPED", "status"),
        ("userId=nope", "userId"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(
    client: FlaskClient, query: str, field: str
) -> None:
    reply = client.get(f"/api/orders?{query}")

    assert reply.status_code == 422
    assert field in reply.get_json()["errors"]


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/api/orders", "status=PAID&status=PENDING", "status"),
        ("/api/orders", "limit=5&limit=500", "limit"),
        ("/api/orders", "page=1&page=2", "page"),
        ("/api/orders", f"userId={USER}&userId={USER}", "userId"),
        ("/api/orders", "limit=1&cursor=first&cursor=edited", "cursor"),
        ("/api/payments", "status=APPROVED&status=DECLINED", "status"),
        ("/api/payments", "page=2&limit=1&page=1", "page"),
    ],
)
def test_a_query_parameter_given_twice_is_422_naming_it_and_reads_nothing(
    client: FlaskClient, fakes: FakeGateway, path: str, query: str, parameter: str
) -> None:
    reply = client.get(f"{path}?{query}")

    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {parameter: ["Given 2 times; give it once"]}
    assert fakes.orders.calls == fakes.payments.calls == []


@pytest.mark.parametrize(
    "path", ["/api/orders/123", "/api/orders/123/cancel", "/api/payments/x", "/api/payments/order/x"]
)
def test_an_id_that_is_not_a_uuid_is_400_with_a_json_message(client: FlaskClient, path: str) -> None:
    reply = client.get(path) if "cancel" not in path else client.patch(path)

    assert reply.status_code == 400
    assert reply.is_json
    assert "is not a valid UUID" in reply.get_json()["message"]
