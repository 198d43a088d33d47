"""On PostgreSQL, an idempotency key is unique per API key, and every command keeps its API key's id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text

from app.gateway import SqlCommandStore
from app.persistence import build_engine
from app.persistence.migrations import alembic_config
from tests.integration.gateway.commands import creation, rows
from tests.support.services import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def store(autocommit_engine: Engine) -> SqlCommandStore:
    return SqlCommandStore(autocommit_engine)


def test_the_same_idempotency_key_from_two_api_keys_is_two_commands_each_with_its_key_id(
    store: SqlCommandStore, engine: Engine
) -> None:
    from_a, from_b = creation("k-1", api_key_id="aaaaaaaaaaaa"), creation("k-1", api_key_id="bbbbbbbbbbbb")

    stored_a, stored_b = store.record(*from_a), store.record(*from_b)

    assert (stored_a, stored_b) == (from_a[0], from_b[0])
    assert {(row.api_key_id, row.order_id) for row in rows(engine, idempotency_key="k-1")} == {
        ("aaaaaaaaaaaa", from_a[0].order_id),
        ("bbbbbbbbbbbb", from_b[0].order_id),
    }
    assert store.find("k-1", "bbbbbbbbbbbb", None) == from_b[0]


def test_a_retry_under_the_same_api_key_gets_the_first_command_back(store: SqlCommandStore) -> None:
    first = creation("k-1", api_key_id="aaaaaaaaaaaa")
    store.record(*first)

    again = store.record(*creation("k-1", api_key_id="aaaaaaaaaaaa"))

    assert again == first[0]


EARLIER_ROW = text(
    "INSERT INTO gateway.commands (id, kind, order_id, idempotency_key, request_hash, response_status, "
    "response_body, event_id, event_type, correlation_id, body) "
    "VALUES (:id, :kind, :order_id, :idempotency_key, :request_hash, :response_status, :response_body, "
    ":event_id, :event_type, :correlation_id, :body)"
)


@pytest.fixture
def engine_at_gateway_0002() -> Iterator[Engine]:
    """A database whose gateway schema is at gateway_0002, as deployed before idempotency keys were scoped."""
    with fresh_database("payflow_it_gw3") as url:
        engine = build_engine(url, application_name="payflow-tests")
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA gateway"))
        command.upgrade(alembic_config(engine, "gateway", "app.gateway"), "gateway_0002")
        yield engine
        engine.dispose()


def test_gateway_0003_keeps_earlier_commands_under_no_api_key_so_an_open_gateway_still_replays_them(
    engine_at_gateway_0002: Engine,
) -> None:
    earlier, event = creation("k-old")
    outbox = {"event_id": event.id, "event_type": event.type, "correlation_id": "c", "body": event.to_json()}
    with engine_at_gateway_0002.begin() as conn:
        conn.execute(EARLIER_ROW, {k: v for k, v in vars(earlier).items() if k != "api_key_id"} | outbox)

    command.upgrade(alembic_config(engine_at_gateway_0002, "gateway", "app.gateway"), "gateway_0003")

    assert SqlCommandStore(engine_at_gateway_0002).find("k-old", "", None) == earlier
