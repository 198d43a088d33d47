"""The sweeper on PostgreSQL: payments the provider never answered are released and failed once, even
with two sweepers at once; a late approval for one of them is given back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, func, select

from app.payments.tables import payment_history
from tests.integration.events import created
from tests.integration.payments.sql_payments import (
    DEADLINE_S,
    FakeProvider,
    backdate,
    build,
    deliver,
    events_of,
    history_reasons,
    payment_id_of,
    status_of,
)
from tests.integration.racing import run_together

pytestmark = pytest.mark.integration


def test_two_sweepers_at_once_release_and_fail_each_stuck_payment_once(engine: Engine) -> None:
    order_ids = [uuid.uuid4() for _ in range(5)]
    deliver(build(engine, FakeProvider(answer=None)), *map(created, order_ids))
    backdate(engine, order_ids, seconds=DEADLINE_S + 60)
    provider = FakeProvider()

    swept = run_together(build(engine, provider).sweep, build(engine, provider).sweep)

    assert sum(swept) == len(order_ids)
    for order_id in order_ids:
        assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
        assert events_of(engine, order_id) == [("payment.failed", f"corr-{order_id}")]
    assert sorted(provider.refunds) == sorted(payment_id_of(engine, order_id) for order_id in order_ids)
    failed = select(func.count()).where(payment_history.c.to_status == "FAILED")
    with engine.connect() as conn:
        assert conn.execute(failed).scalar_one() == len(order_ids)


def test_the_sweeper_leaves_payments_younger_than_the_deadline(engine: Engine) -> None:
    order_id = uuid.uuid4()
    deliver(build(engine, FakeProvider(answer=None)), created(order_id))
    backdate(engine, [order_id], seconds=DEADLINE_S - 60)
    provider = FakeProvider()

    swept = build(engine, provider).sweep()

    assert swept == 0
    assert status_of(engine, order_id) == ("PROCESSING", None)
    assert provider.refunds == []


def test_an_approval_arriving_after_the_sweeper_failed_the_payment_is_given_back(engine: Engine) -> None:
    order_id = uuid.uuid4()
    slow = FakeProvider()
    sweeper = build(engine, FakeProvider())

    def deadline_passes_then_sweeper_runs() -> None:
        backdate(engine, [order_id], seconds=DEADLINE_S + 60)
        sweeper.sweep()

    slow.during_charge = deadline_passes_then_sweeper_runs

    deliver(build(engine, slow), created(order_id))

    assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
    assert payment_id_of(engine, order_id) in slow.refunds
    assert "late_approval_voided" in history_reasons(engine, order_id)
    assert events_of(engine, order_id) == [("payment.failed", f"corr-{order_id}")]
