"""The trigger-maintained payment totals equal a GROUP BY over payments, concurrently and after a backfill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from app.contracts import Envelope, EventHandler
from app.payments import (
    ChargeResult,
    PaymentStatus,
    SqlPaymentsUnitOfWork,
    list_payments,
    payment_handlers,
    payment_stats,
)
from app.payments.tables import payment_totals, payments
from app.persistence import build_engine
from app.persistence.migrations import alembic_config, upgrade_all
from tests.integration.orders.racing import run_together
from tests.integration.payments.sql_payments import cancelled, created
from tests.support.services import fresh_database
from tests.unit.payments.fake_payments import FakePaymentGateway

pytestmark = pytest.mark.integration

THREADS = 8
DECLINED = ChargeResult(PaymentStatus.DECLINED, "card_declined")
Step = tuple[dict[str, EventHandler], Envelope]


def summed(engine: Engine) -> dict[str, tuple[int, Decimal]]:
    """Status -> (count, amount) summed over the shards of payment_totals (empty statuses left out)."""
    totals = payment_totals.c
    query = select(totals.status, func.sum(totals.n), func.sum(totals.amount)).group_by(totals.status)
    with engine.connect() as conn:
        return {status: (int(n), amount) for status, n, amount in conn.execute(query) if n}


def ground_truth(engine: Engine) -> dict[str, tuple[int, Decimal]]:
    query = select(payments.c.status, func.count(), func.sum(payments.c.amount)).group_by(payments.c.status)
    with engine.connect() as conn:
        return {status: (n, amount) for status, n, amount in conn.execute(query)}


def handler_tables(engine: Engine) -> list[dict[str, EventHandler]]:
    """Handlers over providers that approve, decline and never answer (so payments end in many statuses)."""
    answers = [FakePaymentGateway(), FakePaymentGateway(answer=None), FakePaymentGateway(answer=DECLINED)]
    return [payment_handlers(lambda: SqlPaymentsUnitOfWork(engine), provider) for provider in answers]


@pytest.fixture
def order_ids(migrated_engine: Engine) -> Iterator[list[uuid.UUID]]:
    """Order ids whose payments the test makes, deleted afterwards (the totals must follow)."""
    ids = [uuid.uuid4() for _ in range(48)]
    yield ids
    with migrated_engine.begin() as conn:
        conn.execute(payments.delete().where(payments.c.order_id.in_(ids)))


def test_totals_stay_exact_while_threads_settle_and_cancel_payments(
    migrated_engine: Engine, order_ids: list[uuid.UUID]
) -> None:
    tables = handler_tables(migrated_engine)
    work: list[list[Step]] = [[] for _ in range(THREADS)]
    for index, order_id in enumerate(order_ids):
        handlers, create = tables[index % 3], created(order_id)
        steps: list[Step] = [(handlers, create), (handlers, create)]
        steps += [(handlers, cancelled(order_id))] if index % 2 else []
        for offset, step in enumerate(steps):  # one order's steps run in different threads
            work[(index + offset) % THREADS].append(step)

    run_together(*(lambda batch=batch: [h[e.type](e) for h, e in batch] for batch in work))

    assert summed(migrated_engine) == ground_truth(migrated_engine)
    reached = select(payments.c.status).distinct().where(payments.c.order_id.in_(order_ids))
    with migrated_engine.connect() as conn:
        assert len(conn.execute(reached).all()) >= 4


def test_stats_and_listed_totals_match_count_star(
    migrated_engine: Engine, order_ids: list[uuid.UUID]
) -> None:
    handlers = handler_tables(migrated_engine)[0]
    for order_id in order_ids[:6]:
        handlers[created(order_id).type](created(order_id))
    truth = ground_truth(migrated_engine)

    with migrated_engine.connect() as conn:
        stats = {row.status: (row.count, row.total_amount) for row in payment_stats(conn) if row.count}
        everything = list_payments(conn, page=1, limit=5).total
        approved = list_payments(conn, page=10**6, limit=5, status="APPROVED").total

    assert stats == truth
    assert (everything, approved) == (sum(n for n, _ in truth.values()), truth["APPROVED"][0])


def test_the_migration_totals_the_payments_stored_before_it() -> None:
    with fresh_database() as url:
        engine = build_engine(url, application_name="payflow-tests")
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA payments"))
        command.upgrade(alembic_config(engine, "payments", "app.payments"), "payments_0001")
        rows = [("APPROVED", "10.50"), ("APPROVED", "4.25"), ("DECLINED", "7.00")]
        with engine.begin() as conn:
            for status, amount in rows:
                values = {"id": uuid.uuid4(), "order_id": uuid.uuid4(), "amount": Decimal(amount)}
                conn.execute(payments.insert().values(**values, status=status, correlation_id="seed"))

        upgrade_all(engine)

        expected = {"APPROVED": (2, Decimal("14.75")), "DECLINED": (1, Decimal("7.00"))}
        assert summed(engine) == expected == ground_truth(engine)
        engine.dispose()
