"""OrderQueries on PostgreSQL: lookups, newest-first pages, filters, and totals from order_counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from app.orders import OrderQueries, OrderStatus, OrderView
from app.orders.tables import orders

pytestmark = pytest.mark.integration

T0 = datetime(2030, 1, 1, tzinfo=UTC)
USER = uuid.UUID("d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f")


def store(
    engine: Engine, minutes: int, status: str = "PENDING", total: str = "10.00", user: uuid.UUID = USER
) -> uuid.UUID:
    """An order row written straight to the table (the counts trigger sees it like any other)."""
    order_id, at = uuid.uuid4(), T0 + timedelta(minutes=minutes)
    row = {"id": order_id, "user_id": user, "total": Decimal(total), "status": status}
    with engine.begin() as conn:
        conn.execute(orders.insert().values(**row, created_at=at, updated_at=at))
    return order_id


def test_an_order_is_read_back_with_exact_money_its_status_and_aware_times(engine: Engine) -> None:
    order_id = store(engine, 0, total="1234.56")

    view = OrderQueries(engine).get(order_id)

    assert view == OrderView(order_id, USER, Decimal("1234.56"), OrderStatus.PENDING, T0, T0)
    assert view is not None
    assert view.created_at.tzinfo is not None


def test_an_unknown_order_reads_as_none(engine: Engine) -> None:
    assert OrderQueries(engine).get(uuid.uuid4()) is None


def test_orders_are_listed_newest_first_with_ties_broken_by_id(engine: Engine) -> None:
    oldest = store(engine, 0)
    tied = sorted([store(engine, 5), store(engine, 5)], reverse=True)
    newest = store(engine, 9)

    page = OrderQueries(engine).page(page=1, limit=10)

    assert [view.id for view in page.items] == [newest, *tied, oldest]
    assert page.total == 4


def test_pages_split_the_list_without_overlap_and_each_carries_the_total(engine: Engine) -> None:
    ids = [store(engine, minute) for minute in range(5)]

    pages = [OrderQueries(engine).page(page=n, limit=2) for n in (1, 2, 3, 4)]

    assert [[view.id for view in page.items] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[:1], []]
    assert [page.total for page in pages] == [5, 5, 5, 5]


def test_orders_are_filtered_by_status_and_by_user(engine: Engine) -> None:
    someone_else = uuid.uuid4()
    paid = store(engine, 1, status="PAID")
    store(engine, 2, status="FAILED")
    store(engine, 3, status="PAID", user=someone_else)

    mine_paid = OrderQueries(engine).page(page=1, limit=10, status=OrderStatus.PAID, user_id=USER)
    theirs = OrderQueries(engine).page(page=1, limit=10, user_id=someone_else)

    assert ([view.id for view in mine_paid.items], mine_paid.total) == ([paid], 1)
    assert theirs.total == 1


def test_the_totals_match_count_star_with_and_without_a_status_even_past_the_last_page(
    engine: Engine,
) -> None:
    for minute, status in enumerate(["PENDING", "PENDING", "PAID", "CANCELLED", "PENDING"]):
        store(engine, minute, status=status)
    queries = OrderQueries(engine)

    everything = queries.page(page=1, limit=2).total
    pending = queries.page(page=1, limit=2, status=OrderStatus.PENDING).total
    paid_far_away = queries.page(page=10**6, limit=2, status=OrderStatus.PAID).total
    none_failed = queries.page(page=1, limit=2, status=OrderStatus.FAILED).total

    assert (everything, pending, paid_far_away, none_failed) == (5, 3, 1, 0)


def test_statuses_list_every_order_or_those_created_since_a_time(engine: Engine) -> None:
    before = store(engine, 0, status="PAID")
    after = store(engine, 10, status="CANCELLED")

    everything = OrderQueries(engine).statuses()
    recent = OrderQueries(engine).statuses(since=T0 + timedelta(minutes=5))

    assert {(order_id, status) for order_id, status, _ in everything} == {
        (before, OrderStatus.PAID),
        (after, OrderStatus.CANCELLED),
    }
    assert recent == [(after, OrderStatus.CANCELLED, T0 + timedelta(minutes=10))]
