"""Database trouble: a dropped read connection is retried once; an outage is a 503 with Retry-After."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.unit.gateway.fake_gateway import FakeGateway, Order

USER = uuid.UUID("d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f")


class PgError(Exception):
    """Stands in for a psycopg2 error carrying a SQLSTATE."""

    def __init__(self, pgcode: str | None) -> None:
        super().__init__(f"pgcode {pgcode}")
        self.pgcode = pgcode


def dropped() -> DBAPIError:
    return OperationalError("SELECT 1", {}, PgError(None), connection_invalidated=True)


def test_a_read_on_a_dropped_connection_is_retried_once_and_succeeds(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = Order(uuid.uuid4(), USER, Decimal(5), "PAID")
    fakes.orders.orders = [order]
    fakes.orders.failures = [dropped()]

    reply = client.get(f"/api/orders/{order.id}")

    assert reply.status_code == 200
    assert fakes.engine.connections == 2


def test_a_read_failing_twice_is_503_with_retry_after(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.orders.failures = [dropped(), dropped()]

    reply = client.get("/api/orders")

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.get_json()["message"] == "The database is unavailable; retry shortly"


def test_no_free_pooled_connection_is_503_not_500(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.orders.failures = [PoolTimeout("QueuePool limit reached"), PoolTimeout("QueuePool limit reached")]

    reply = client.get("/api/orders")

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"


def test_a_statement_timeout_is_503_and_not_retried(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.orders.failures = [OperationalError("SELECT 1", {}, PgError("57014"))]

    reply = client.get("/api/orders")

    assert reply.status_code == 503
    assert fakes.engine.connections == 1


def test_a_write_while_the_database_is_down_is_503_and_records_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    fakes.commands.unavailable = OperationalError("INSERT", {}, PgError(None))

    reply = client.post("/api/orders", json={"userId": str(USER), "total": 1})

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert fakes.commands.commands == []


def test_an_unexpected_error_is_a_json_500_without_details(
    client: FlaskClient, fakes: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    fakes.orders.failures = [ProgrammingError("SELECT secret", {}, PgError("42P01"))]

    reply = client.get("/api/orders")

    assert reply.status_code == 500
    assert reply.get_json()["message"] == "Internal server error"
    assert "secret" not in reply.get_data(as_text=True)
    assert any(r.levelname == "ERROR" for r in caplog.records)
