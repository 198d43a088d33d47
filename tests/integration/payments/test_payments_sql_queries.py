"""PaymentQueries on PostgreSQL: lookups, newest-first pages, the status filter, and exact per-status
stats and totals from the trigger-kept payment_totals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update

from app.payments import PaymentQueries, PaymentStatus, PaymentView, StatusTotal
from app.payments.tables import payments
from tests.integration.payments.sql_payments import ground_truth, summed

pytestmark = pytest.mark.integration

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def store(engine: Engine, minutes: int, status: str = "APPROVED", amount: str = "10.00") -> uuid.UUID:
    """A payment row written straight to the table (the totals trigger sees it like any other)."""
    payment_id, at = uuid.uuid4(), T0 + timedelta(minutes=minutes)
    reason = "card_declined" if status == "DECLINED" else None
    row = {"id": payment_id, "order_id": uuid.uuid4(), "amount": Decimal(amount), "status": status}
    with engine.begin() as conn:
        conn.execute(
            payments.insert().values(
                **row, reason=reason, correlation_id="corr-query", created_at=at, updated_at=at
            )
        )
    return payment_id


def test_a_payment_is_read_back_by_id_and_by_order(engine: Engine) -> None:
    payment_id = store(engine, 0, status="DECLINED", amount="99.99")
    queries = PaymentQueries(engine)

    by_id = queries.get(payment_id)
    assert by_id is not None
    by_order = queries.for_order(by_id.order_id)

    assert by_id == by_order
    assert by_id == PaymentView(
        payment_id, by_id.order_id, Decimal("99.99"), PaymentStatus.DECLINED, "card_declined", T0, T0
    )


def test_unknown_payments_read_as_none(engine: Engine) -> None:
    queries = PaymentQueries(engine)

    found = (queries.get(uuid.uuid4()), queries.for_order(uuid.uuid4()))

    assert found == (None, None)


def test_payments_are_listed_newest_first_in_pages_with_ties_broken_by_id(engine: Engine) -> None:
    ids = [store(engine, minute) for minute in range(3)]
    tied = sorted([store(engine, 10), store(engine, 10)], reverse=True)

    first, second = (PaymentQueries(engine).page(page=n, limit=3) for n in (1, 2))

    assert [view.id for view in first.items] == [*tied, ids[2]]
    assert [view.id for view in second.items] == [ids[1], ids[0]]
    assert first.total == second.total == 5


def test_payments_are_filtered_by_status_with_the_status_total(engine: Engine) -> None:
    declined = [store(engine, 1, status="DECLINED"), store(engine, 3, status="DECLINED")]
    store(engine, 2, status="APPROVED")

    page = PaymentQueries(engine).page(page=2, limit=1, status=PaymentStatus.DECLINED)
    beyond = PaymentQueries(engine).page(page=9, limit=1, status=PaymentStatus.DECLINED)

    assert ([view.id for view in page.items], page.total) == ([declined[0]], 2)
    assert (beyond.items, beyond.total) == ([], 2)


def test_stats_cover_every_status_in_order_and_sum_amounts_exactly(engine: Engine) -> None:
    for amount in ("0.10", "0.20", "1000000.00"):
        store(engine, 0, status="APPROVED", amount=amount)
    store(engine, 0, status="DECLINED", amount="5.55")

    stats = PaymentQueries(engine).stats()

    zero = Decimal("0.00")
    assert stats == [
        StatusTotal(PaymentStatus.PROCESSING, 0, zero),
        StatusTotal(PaymentStatus.APPROVED, 3, Decimal("1000000.30")),
        StatusTotal(PaymentStatus.DECLINED, 1, Decimal("5.55")),
        StatusTotal(PaymentStatus.FAILED, 0, zero),
        StatusTotal(PaymentStatus.REFUNDED, 0, zero),
        StatusTotal(PaymentStatus.CANCELLED, 0, zero),
    ]


def test_totals_follow_updates_and_deletes_made_outside_the_module(engine: Engine) -> None:
    _, refunded, deleted = (store(engine, n, amount=f"{n + 1}.25") for n in range(3))

    with engine.begin() as conn:
        conn.execute(update(payments).where(payments.c.id == refunded).values(status="REFUNDED"))
        conn.execute(payments.delete().where(payments.c.id == deleted))

    expected = {"APPROVED": (1, Decimal("1.25")), "REFUNDED": (1, Decimal("2.25"))}
    assert summed(engine) == ground_truth(engine) == expected


def test_statuses_list_every_payment_or_those_created_since_a_time(engine: Engine) -> None:
    store(engine, 0)
    recent = store(engine, 10, status="DECLINED")

    everything = PaymentQueries(engine).statuses()
    since = PaymentQueries(engine).statuses(since=T0 + timedelta(minutes=5))

    assert len(everything) == 2
    assert [(payment_id, status) for payment_id, _, status, _ in since] == [(recent, PaymentStatus.DECLINED)]
