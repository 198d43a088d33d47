"""Cursors: they read back as the position they name, and anything else a client sends is a 422."""

from __future__ import annotations

import contextlib
import string
import uuid
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from app.gateway.paging import decode_cursor, encode_cursor
from app.persistence import Position
from tests.unit.gateway.fake_gateway import FakeGateway, an_order

POSITION = Position(datetime(2026, 11, 30, 4, 41, 7, 123456, tzinfo=UTC), uuid.uuid4())
ALPHABET = string.ascii_letters + string.digits + "-_"


def test_a_cursor_reads_back_as_the_position_it_was_made_from_to_the_microsecond() -> None:
    cursor = encode_cursor("orders", POSITION)

    assert decode_cursor("orders", cursor) == POSITION


def test_every_one_character_edit_of_a_cursor_is_refused() -> None:
    cursor = encode_cursor("orders", POSITION)
    edits = [cursor[:i] + c + cursor[i + 1 :] for i in range(len(cursor)) for c in ALPHABET if c != cursor[i]]

    accepted = []
    for edited in edits:
        with contextlib.suppress(ValueError):
            accepted.append(decode_cursor("orders", edited))

    assert (len(edits), accepted) == (len(cursor) * (len(ALPHABET) - 1), [])


def test_a_cursor_of_another_list_is_refused() -> None:
    with pytest.raises(ValueError, match="check failed"):
        decode_cursor("payments", encode_cursor("orders", POSITION))


@pytest.mark.parametrize(
    "cursor", ["", "=", "A", "AAAAA", "A" * 42, "%00", "%C3%A9t%C3%A9", "a+b/c", "A" * 600]
)
def test_hostile_cursors_are_422_naming_the_cursor(client: FlaskClient, cursor: str) -> None:
    reply = client.get(f"/api/orders?cursor={cursor}")

    assert reply.status_code == 422
    assert list(reply.get_json()["errors"]) == ["cursor"]


def test_a_cursor_page_answers_no_page_number_and_points_to_the_next(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    fakes.orders.orders = [an_order() for _ in range(5)]
    first = client.get("/api/orders?limit=2").get_json()

    second = client.get(f"/api/orders?limit=2&cursor={first['meta']['nextCursor']}").get_json()

    assert [o["id"] for o in second["data"]] == [str(o.id) for o in fakes.orders.orders[2:4]]
    assert set(second["meta"]) == {"limit", "total", "hasMore", "nextCursor"}
    assert second["meta"]["hasMore"] is True
