"""The orders read side on PostgreSQL: lookups, paging, filters and a stable newest-first order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from app.orders import OrderView, get_order, list_orders
from app.orders.tables import orders

pytestmark = pytest.mark.integration

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def user_id(migrated_engine: Engine) -> Iterator[uuid.UUID]:
    """A fresh user whose orders are deleted after the test."""
    user = uuid.uuid4()
    yield user
    with migrated_engine.begin() as conn:
        conn.execute(orders.delete().where(orders.c.user_id == user))


def store(
    engine: Engine, user: uuid.UUID, minutes: int, status: str = "PENDING", total: str = "10.00"
) -> uuid.UUID:
    order_id = uuid.uuid4()
    at = T0 + timedelta(minutes=minutes)
    row = {
        "id": order_id,
        "user_id": user,
        "total": Decimal(total),
        "status": status,
        "created_at": at,
        "updated_at": at,
    }
    with engine.begin() as conn:
        conn.execute(orders.insert().values(**row))
    return order_id


def test_an_order_is_read_back_with_exact_money_and_aware_times(
    migrated_engine: Engine, user_id: uuid.UUID
) -> None:
    order_id = store(migrated_engine, user_id, 0, total="1234.56")

    with migrated_engine.connect() as conn:
        view = get_order(conn, order_id)

    assert view == OrderView(order_id, user_id, Decimal("1234.56"), "PENDING", T0, T0)
    assert view is not None
    assert view.created_at.tzinfo is not None


def test_an_unknown_order_reads_as_none(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        view = get_order(conn, uuid.uuid4())

    assert view is None


def test_orders_are_listed_newest_first_with_ties_broken_by_id(
    migrated_engine: Engine, user_id: uuid.UUID
) -> None:
    oldest = store(migrated_engine, user_id, 0)
    tied = sorted([store(migrated_engine, user_id, 5), store(migrated_engine, user_id, 5)], reverse=True)
    newest = store(migrated_engine, user_id, 9)

    with migrated_engine.connect() as conn:
        page = list_orders(conn, page=1, limit=10, user_id=user_id)

    assert [view.id for view in page.items] == [newest, *tied, oldest]
    assert page.total == 4


def test_pages_split_the_list_without_overlap(migrated_engine: Engine, user_id: uuid.UUID) -> None:
    ids = [store(migrated_engine, user_id, minute) for minute in range(5)]

    with migrated_engine.connect() as conn:
        pages = [list_orders(conn, page=n, limit=2, user_id=user_id) for n in (1, 2, 3, 4)]

    assert [[view.id for view in page.items] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[:1], []]
    assert {page.total for page in pages} == {5}


def test_orders_are_filtered_by_status_and_user(migrated_engine: Engine, user_id: uuid.UUID) -> None:
    paid = store(migrated_engine, user_id, 1, status="PAID")
    store(migrated_engine, user_id, 2, status="FAILED")

    with migrated_engine.connect() as conn:
        page = list_orders(conn, page=1, limit=10, status="PAID", user_id=user_id)

    assert [view.id for view in page.items] == [paid]
    assert page.total == 1
