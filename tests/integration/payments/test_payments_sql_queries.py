"""The payments read side on PostgreSQL: lookups, paging, the status filter and exact per-status totals."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine

from app.payments import (
    PaymentStatus,
    PaymentView,
    get_payment,
    get_payment_for_order,
    list_payments,
    payment_stats,
)
from app.payments.tables import payments

pytestmark = pytest.mark.integration

# Far in the future, so these rows head the shared newest-first list while the test runs.
T0 = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture
def ours(migrated_engine: Engine) -> Iterator[list[uuid.UUID]]:
    """Ids of the payments a test stores, deleted afterwards."""
    stored: list[uuid.UUID] = []
    yield stored
    with migrated_engine.begin() as conn:
        conn.execute(payments.delete().where(payments.c.id.in_(stored)))


def store(
    engine: Engine, ours: list[uuid.UUID], minutes: int, status: str = "APPROVED", amount: str = "10.00"
) -> uuid.UUID:
    payment_id = uuid.uuid4()
    at = T0 + timedelta(minutes=minutes)
    reason = "card_declined" if status == "DECLINED" else None
    row = {
        "id": payment_id,
        "order_id": uuid.uuid4(),
        "amount": Decimal(amount),
        "status": status,
        "reason": reason,
        "correlation_id": "corr-query",
        "created_at": at,
        "updated_at": at,
    }
    with engine.begin() as conn:
        conn.execute(payments.insert().values(**row))
    ours.append(payment_id)
    return payment_id


def test_a_payment_is_read_back_by_id_and_by_order(migrated_engine: Engine, ours: list[uuid.UUID]) -> None:
    payment_id = store(migrated_engine, ours, 0, status="DECLINED", amount="99.99")

    with migrated_engine.connect() as conn:
        by_id = get_payment(conn, payment_id)
        assert by_id is not None
        by_order = get_payment_for_order(conn, by_id.order_id)

    assert by_id == by_order
    assert by_id == PaymentView(
        payment_id, by_id.order_id, Decimal("99.99"), "DECLINED", "card_declined", T0, T0
    )


def test_unknown_payments_read_as_none(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        found = (get_payment(conn, uuid.uuid4()), get_payment_for_order(conn, uuid.uuid4()))

    assert found == (None, None)


def test_payments_are_listed_newest_first_in_pages(migrated_engine: Engine, ours: list[uuid.UUID]) -> None:
    ids = [store(migrated_engine, ours, minute) for minute in range(3)]
    tied = sorted([store(migrated_engine, ours, 10), store(migrated_engine, ours, 10)], reverse=True)

    with migrated_engine.connect() as conn:
        first, second = (list_payments(conn, page=n, limit=3) for n in (1, 2))

    assert [view.id for view in first.items] == [*tied, ids[2]]
    assert [view.id for view in second.items][:2] == [ids[1], ids[0]]
    assert first.total == second.total >= 5


def test_payments_are_filtered_by_status(migrated_engine: Engine, ours: list[uuid.UUID]) -> None:
    declined = store(migrated_engine, ours, 1, status="DECLINED")
    store(migrated_engine, ours, 2, status="APPROVED")

    with migrated_engine.connect() as conn:
        page = list_payments(conn, page=1, limit=1, status="DECLINED")

    assert [view.id for view in page.items] == [declined]
    assert all(view.status == "DECLINED" for view in page.items)


def test_stats_cover_every_status_in_order_and_sum_amounts_exactly(
    migrated_engine: Engine, ours: list[uuid.UUID]
) -> None:
    with migrated_engine.connect() as conn:
        before = totals(conn)
    for amount in ("0.10", "0.20", "1000000.00"):
        store(migrated_engine, ours, 0, status="APPROVED", amount=amount)
    store(migrated_engine, ours, 0, status="DECLINED", amount="5.55")

    with migrated_engine.connect() as conn:
        stats = payment_stats(conn)
        after = totals(conn)

    assert [row.status for row in stats] == [status.value for status in PaymentStatus]
    assert after["APPROVED"][0] - before["APPROVED"][0] == 3
    assert after["APPROVED"][1] - before["APPROVED"][1] == Decimal("1000000.30")
    assert after["DECLINED"][1] - before["DECLINED"][1] == Decimal("5.55")
    assert after["REFUNDED"] == before["REFUNDED"]


def totals(conn: Connection) -> dict[str, tuple[int, Decimal]]:
    return {row.status: (row.count, row.total_amount) for row in payment_stats(conn)}
