"""Every input has a bound: query parameters, headers and path ids are checked before any work is done."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.unit.gateway.fake_gateway import USER, FakeGateway


@pytest.mark.parametrize("path", ["/api/orders?statu=PAID", "/api/payments?page=1&sort=amount"])
def test_an_unknown_query_parameter_is_422_naming_it(client: FlaskClient, path: str) -> None:
    reply = client.get(path)

    assert reply.status_code == 422
    assert set(reply.get_json()["errors"]) <= {"statu", "sort"}


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "page=0", "page=1000001", "limit=1e3", "page=-1", "status=" + "P" * 10_000],
)
def test_a_query_parameter_out_of_bounds_is_422_before_any_read(
    client: FlaskClient, fakes: FakeGateway, query: str
) -> None:
    reply = client.get(f"/api/orders?{query}")

    assert reply.status_code == 422
    assert fakes.orders.calls == []
    assert len(reply.data) < 1000  # the offending value is not echoed back


@pytest.mark.parametrize("key", ["k" * 256, "", "caf\u00e9", "tab\there"])
def test_an_idempotency_key_that_is_too_long_or_not_printable_ascii_is_400(
    client: FlaskClient, fakes: FakeGateway, key: str
) -> None:
    reply = client.post(
        "/api/orders", json={"userId": str(USER), "total": 1}, headers={"Idempotency-Key": key}
    )

    assert reply.status_code == 400
    assert fakes.commands.commands == []


def test_a_huge_non_uuid_path_id_is_400_with_a_shortened_echo(client: FlaskClient) -> None:
    reply = client.get("/api/orders/" + "z" * 5000)

    assert reply.status_code == 400
    assert len(reply.get_json()["message"]) < 120


def test_a_huge_user_id_in_the_body_is_422_without_echoing_it(client: FlaskClient) -> None:
    reply = client.post("/api/orders", json={"userId": "u" * 20_000, "total": 1})

    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"userId": ["Not a valid UUID."]}
