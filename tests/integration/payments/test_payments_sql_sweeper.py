"""The sweeper on PostgreSQL: stuck payments fail once, even with two sweepers racing."""

from __future__ import annotations

import functools
import uuid

import pytest
from sqlalchemy import Engine, func, select, update

from app.payments import SqlPaymentsUnitOfWork, fail_stuck_payments
from app.payments.tables import payment_history, payments
from tests.integration.orders.racing import run_together
from tests.integration.payments.sql_payments import created, deliver, events_of, status_of
from tests.unit.payments.fake_payments import FakePaymentGateway

pytestmark = pytest.mark.integration


def test_the_sweeper_fails_stuck_payments_once_even_when_two_run_at_once(migrated_engine: Engine) -> None:
    order_ids = [uuid.uuid4() for _ in range(5)]
    deliver(migrated_engine, FakePaymentGateway(answer=None), *[created(order_id) for order_id in order_ids])
    backdate(migrated_engine, order_ids, seconds=3600)
    sweep = functools.partial(
        fail_stuck_payments, lambda: SqlPaymentsUnitOfWork(migrated_engine), FakePaymentGateway(), 1800
    )

    run_together(sweep, sweep)

    for order_id in order_ids:
        assert status_of(migrated_engine, order_id) == ("FAILED", "gateway_timeout")
        assert events_of(migrated_engine, order_id) == [("payment.failed", f"corr-{order_id}")]
    assert failed_history_rows(migrated_engine, order_ids) == len(order_ids)


def test_the_sweeper_leaves_payments_younger_than_the_deadline(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    deliver(migrated_engine, FakePaymentGateway(answer=None), created(order_id))

    provider = FakePaymentGateway()
    fail_stuck_payments(lambda: SqlPaymentsUnitOfWork(migrated_engine), provider, older_than_s=1800)

    assert status_of(migrated_engine, order_id) == ("PROCESSING", None)


def backdate(engine: Engine, order_ids: list[uuid.UUID], seconds: int) -> None:
    earlier = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    with engine.begin() as conn:
        conn.execute(update(payments).where(payments.c.order_id.in_(order_ids)).values(updated_at=earlier))


def failed_history_rows(engine: Engine, order_ids: list[uuid.UUID]) -> int:
    ours = select(payments.c.id).where(payments.c.order_id.in_(order_ids)).scalar_subquery()
    query = select(func.count()).where(
        payment_history.c.payment_id.in_(ours), payment_history.c.to_status == "FAILED"
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()
