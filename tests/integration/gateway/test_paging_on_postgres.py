"""Paging the gateway's lists on PostgreSQL: cursors walk every row once, page numbers stop at a depth."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from app.bootstrap import build_gateway
from app.config import Settings
from app.contracts import Incoming, OrderCreated
from tests.integration.events import TOTAL
from tests.integration.orders.sql_orders import apply
from tests.integration.payments.sql_payments import FakeProvider, build, deliver

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def gateway(database_url: str, role_prefix: str, **env: str) -> Flask:
    given = {"PAYFLOW_DATABASE_URL": database_url, "PAYFLOW_DATABASE_ROLE_PREFIX": role_prefix}
    return build_gateway(Settings.from_env(given | {"PAYFLOW_LOG_FORMAT": "text"} | env)).app


@pytest.fixture
def client(database_url: str, role_prefix: str) -> FlaskClient:
    return gateway(database_url, role_prefix).test_client()


def store_orders(engine: Engine, *minutes: int) -> list[uuid.UUID]:
    """One order created at START plus each of `minutes` (equal times included: the id breaks the tie)."""
    made = [_created(uuid.uuid4(), START + timedelta(minutes=offset)) for offset in minutes]
    apply(engine, *made)
    return [incoming.event.order_id for incoming in made]


def _created(order_id: uuid.UUID, at: datetime) -> Incoming[OrderCreated]:
    event = OrderCreated(order_id=order_id, user_id=uuid.uuid4(), total=TOTAL)
    return Incoming(event, uuid.uuid4(), f"corr-{order_id}", at)


def walk(client: FlaskClient, path: str, between_pages: Callable[[], None] = lambda: None) -> list[str]:
    """Every id a client sees following nextCursor from the first page, calling `between_pages` after each."""
    seen: list[str] = []
    body = client.get(path).get_json()
    while True:
        seen += [item["id"] for item in body["data"]]
        between_pages()
        if not body["meta"]["hasMore"]:
            return seen
        body = client.get(f"{path}&cursor={body['meta']['nextCursor']}").get_json()


def test_following_cursors_lists_every_order_once_while_orders_are_inserted_between_pages(
    client: FlaskClient, engine: Engine
) -> None:
    existing = store_orders(engine, *range(23), 5, 5, 17)
    inserted: list[uuid.UUID] = []

    def insert_newer_older_and_tied() -> None:
        inserted.extend(store_orders(engine, 100, -100, 5, 11))

    seen = walk(client, "/api/orders?limit=7", insert_newer_older_and_tied)

    assert len(seen) == len(set(seen))
    assert {str(order_id) for order_id in existing} <= set(seen)
    assert str(inserted[1]) in seen  # an older order inserted after page 1 comes on a later page


def test_following_cursors_lists_every_payment_once(client: FlaskClient, engine: Engine) -> None:
    order_ids = store_orders(engine, *range(12))
    deliver(build(engine, FakeProvider()), *(_created(order_id, START) for order_id in order_ids))

    seen = walk(client, "/api/payments?limit=5&status=APPROVED")

    assert sorted(seen) == sorted({item["id"] for item in client.get("/api/payments?limit=100").json["data"]})
    assert len(seen) == 12


def issued(client: FlaskClient, path: str) -> str:
    return str(client.get(path).json["meta"]["nextCursor"])


CURSORS: dict[str, Callable[[FlaskClient], str]] = {
    "not base64": lambda _: "not!base64",
    "too short": lambda _: "AAAA",
    "too long": lambda _: "x" * 65,
    "edited": lambda client: (c := issued(client, "/api/orders?limit=1"))[:-3] + "AB"[c[-3] == "A"] + c[-2:],
    "re-padded": lambda client: issued(client, "/api/orders?limit=1") + "=",
    "of another list": lambda client: issued(client, "/api/payments?limit=1"),
}


@pytest.mark.parametrize("kind", list(CURSORS))
def test_a_malformed_or_edited_cursor_is_422_naming_the_cursor(
    client: FlaskClient, engine: Engine, kind: str
) -> None:
    store_orders(engine, 1, 2)
    deliver(build(engine, FakeProvider()), *(_created(uuid.uuid4(), START) for _ in range(2)))

    reply = client.get(f"/api/orders?limit=1&cursor={CURSORS[kind](client)}")

    assert reply.status_code == 422
    assert list(reply.json["errors"]) == ["cursor"]
    assert "pass its meta.nextCursor unchanged" in reply.json["errors"]["cursor"][0]


def test_a_cursor_with_a_page_number_is_422(client: FlaskClient, engine: Engine) -> None:
    store_orders(engine, 1, 2)

    reply = client.get(f"/api/orders?limit=1&page=2&cursor={issued(client, '/api/orders?limit=1')}")

    assert (reply.status_code, reply.json["errors"]) == (422, {"cursor": ["Give page or cursor, not both"]})


def test_a_page_number_past_the_offset_cap_is_422_pointing_to_the_cursor(
    database_url: str, role_prefix: str
) -> None:
    client = gateway(database_url, role_prefix, PAYFLOW_MAX_PAGE_OFFSET="20").test_client()

    deepest, past = client.get("/api/orders?page=3&limit=10"), client.get("/api/payments?page=4&limit=10")

    assert deepest.status_code == 200
    assert past.status_code == 422
    assert "?cursor=" in past.json["message"]
    assert "20 rows deep" in past.json["message"]


def test_by_default_page_numbers_reach_ten_thousand_rows_deep(client: FlaskClient) -> None:
    replies = [client.get(f"/api/orders?page={page}&limit=100").status_code for page in (101, 102)]

    assert replies == [200, 422]


def test_the_openapi_document_lists_the_cursor_of_both_lists_and_meta_next_cursor(
    client: FlaskClient,
) -> None:
    document = client.get("/api/openapi.json").json

    for path in ("/api/orders", "/api/payments"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert parameters["cursor"]["in"] == "query"
    assert {"hasMore", "nextCursor"} <= set(document["components"]["schemas"]["PageMeta"]["properties"])
