"""Database trouble: a dropped read connection is retried once; an outage is a 503 with Retry-After."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import cast

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.persistence import read_with_retry
from tests.unit.gateway.fake_gateway import USER, FakeGateway


class PgError(Exception):
    """Stands in for a psycopg2 error carrying a SQLSTATE."""

    def __init__(self, pgcode: str | None) -> None:
        super().__init__(f"pgcode {pgcode}")
        self.pgcode = pgcode


def dropped() -> DBAPIError:
    return OperationalError("SELECT 1", {}, PgError(None), connection_invalidated=True)


def statement_timeout() -> DBAPIError:
    return OperationalError("SELECT 1", {}, PgError("57014"))


class FakeEngine:
    """Counts the connections handed out; the queries below never touch them."""

    def __init__(self) -> None:
        self.connections = 0

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        self.connections += 1
        yield cast(Connection, object())


def failing(*failures: Exception) -> Callable[[Connection], str]:
    """A query raising `failures` one per call, then answering "rows"."""
    pending = list(failures)

    def query(conn: Connection) -> str:
        if pending:
            raise pending.pop(0)
        return "rows"

    return query


# The modules' queries (what the gateway reads through) run every read with read_with_retry.
def test_a_read_on_a_dropped_connection_is_retried_once_on_a_new_connection_and_succeeds() -> None:
    engine = FakeEngine()

    answer = read_with_retry(cast(Engine, engine), failing(dropped()))

    assert answer == "rows"
    assert engine.connections == 2


def test_a_read_failing_on_its_retry_too_raises_the_second_failure() -> None:
    engine, second = FakeEngine(), dropped()

    with pytest.raises(OperationalError) as raised:
        read_with_retry(cast(Engine, engine), failing(dropped(), second))

    assert raised.value is second
    assert engine.connections == 2


def test_a_statement_timeout_is_not_retried() -> None:
    engine = FakeEngine()

    with pytest.raises(OperationalError):
        read_with_retry(cast(Engine, engine), failing(statement_timeout()))

    assert engine.connections == 1


@pytest.mark.parametrize(
    "failure",
    [dropped(), PoolTimeout("QueuePool limit reached"), statement_timeout()],
    ids=["dropped_connection", "no_free_pooled_connection", "statement_timeout"],
)
def test_a_read_the_database_cannot_answer_is_503_with_retry_after(
    client: FlaskClient, fakes: FakeGateway, failure: Exception
) -> None:
    fakes.orders.failures = [failure]

    reply = client.get("/api/orders")

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.get_json()["message"] == "The database is unavailable; retry shortly"


def test_a_payments_read_while_the_database_is_down_is_503(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.payments.failures = [dropped()]

    reply = client.get("/api/payments/stats")

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"


def test_a_write_while_the_database_is_down_is_503_and_records_nothing(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    fakes.commands.unavailable = OperationalError("INSERT", {}, PgError(None))

    reply = client.post("/api/orders", json={"userId": str(USER), "total": 1})

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert fakes.commands.commands == []


def test_a_cancel_while_the_database_is_down_is_503(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.commands.unavailable = OperationalError("SELECT", {}, PgError(None))

    reply = client.patch(f"/api/orders/{uuid.uuid4()}/cancel", headers={"Idempotency-Key": "k-1"})

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"


def test_an_unexpected_error_is_a_json_500_without_details(
    client: FlaskClient, fakes: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    fakes.orders.failures = [ProgrammingError("SELECT secret", {}, PgError("42P01"))]

    reply = client.get("/api/orders")

    assert reply.status_code == 500
    assert reply.get_json()["message"] == "Internal server error"
    assert "secret" not in reply.get_data(as_text=True)
    assert any(r.levelname == "ERROR" for r in caplog.records)
