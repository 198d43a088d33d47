"""The sweeper on PostgreSQL: payments the provider never answered are failed and released once, even
with two sweepers at once; a late approval for one of them is given back."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, insert, select, update

from app.bus import refresh_release_gauges
from app.payments import PaymentQueries, ProviderUnavailable
from app.payments.domain import RELEASED_AFTER_TIMEOUT, Payment, PaymentStatus
from app.payments.tables import payment_history, releases_owed
from app.payments.unit_of_work import SqlPaymentsUnitOfWork
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

PAYMENT = Payment(uuid.uuid4(), uuid.uuid4(), Decimal("10.00"), PaymentStatus.FAILED, "provider_timeout", "c")


def build_unit_of_work(engine: Engine) -> Callable[[], SqlPaymentsUnitOfWork]:
    return functools.partial(SqlPaymentsUnitOfWork, engine)


def test_two_sweepers_at_once_fail_each_stuck_payment_once_and_note_its_release_once(engine: Engine) -> None:
    order_ids = [uuid.uuid4() for _ in range(5)]
    deliver(build(engine, FakeProvider(answer=None)), *map(created, order_ids))
    backdate(engine, order_ids, seconds=DEADLINE_S + 60)
    provider = FakeProvider()

    swept = run_together(build(engine, provider).sweep, build(engine, provider).sweep)

    assert sum(swept) == len(order_ids)
    for order_id in order_ids:
        assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
        assert events_of(engine, order_id) == [("payment.failed", f"corr-{order_id}")]
    # Both may ask for a release (refunds are idempotent per payment); each is noted once.
    assert set(provider.refunds) == {payment_id_of(engine, order_id) for order_id in order_ids}
    failed = select(func.count()).where(
        payment_history.c.from_status == "PROCESSING", payment_history.c.to_status == "FAILED"
    )
    released = select(func.count()).where(payment_history.c.reason == RELEASED_AFTER_TIMEOUT)
    with engine.connect() as conn:
        assert conn.execute(failed).scalar_one() == len(order_ids)
        assert conn.execute(released).scalar_one() == len(order_ids)


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


class AwayForOnePass(FakeProvider):
    """Away for the first pass's refund call (one payment: asked once, and it raises ProviderUnavailable),
    then gives back as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.away_calls = 0

    def refund(self, batch: Sequence[Payment]) -> None:
        if self.away_calls < 1:
            self.away_calls += 1
            raise ProviderUnavailable("refund timed out")
        super().refund(batch)


def test_a_release_the_provider_was_away_for_is_asked_again_and_noted_on_the_next_pass(
    engine: Engine,
) -> None:
    order_id = uuid.uuid4()
    deliver(build(engine, FakeProvider(answer=None)), created(order_id))
    backdate(engine, [order_id], seconds=DEADLINE_S + 60)
    provider = AwayForOnePass()
    sweeper = build(engine, provider)

    failed_first = sweeper.sweep()
    reasons_between = history_reasons(engine, order_id)
    failed_next = sweeper.sweep()

    assert (failed_first, failed_next, provider.away_calls) == (1, 0, 1)
    assert RELEASED_AFTER_TIMEOUT not in reasons_between
    assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
    assert provider.refunds == [payment_id_of(engine, order_id)]
    assert history_reasons(engine, order_id).count(RELEASED_AFTER_TIMEOUT) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(releases_owed)).scalar_one() == 0


def _owe(engine: Engine, *payment_and_order_ids: tuple[uuid.UUID, uuid.UUID]) -> None:
    with engine.begin() as conn:
        rows = [
            {"payment_id": payment_id, "order_id": order_id} for payment_id, order_id in payment_and_order_ids
        ]
        conn.execute(insert(releases_owed), rows)


def test_owed_releases_come_never_tried_first_then_least_recently_tried_and_skip_missing_payments(
    engine: Engine,
) -> None:
    first, second, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    deliver(build(engine, FakeProvider(answer=None)), *map(created, (first, second, never)))
    ids = {order_id: payment_id_of(engine, order_id) for order_id in (first, second, never)}
    _owe(
        engine,
        *((payment_id, order_id) for order_id, payment_id in ids.items()),
        (uuid.uuid4(), uuid.uuid4()),
    )
    unit_of_work = build_unit_of_work(engine)
    for refused in (first, second):  # tried, and refused, in this order
        with unit_of_work() as uow:
            uow.releases_done([], [ids[refused]])
            uow.commit()

    with unit_of_work() as uow:
        owed = uow.releases_owed(10)

    assert owed == [never, first, second]


def test_a_release_is_settled_once_so_one_of_two_sweepers_notes_it(engine: Engine) -> None:
    payment_id = uuid.uuid4()
    _owe(engine, (payment_id, uuid.uuid4()))
    unit_of_work = build_unit_of_work(engine)

    with unit_of_work() as uow:
        first = uow.releases_done([payment_id, uuid.uuid4()], [])
        uow.commit()
    with unit_of_work() as uow:
        again = uow.releases_done([payment_id], [payment_id])
        uow.owe_releases([replace(PAYMENT, id=payment_id)])
        uow.owe_releases([replace(PAYMENT, id=payment_id)])  # owed twice: kept once
        uow.commit()

    assert (first, again) == ({payment_id}, set())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(releases_owed)).scalar_one() == 1


def _gauges() -> tuple[float | None, float | None]:
    return (
        REGISTRY.get_sample_value("payflow_payment_releases_owed"),
        REGISTRY.get_sample_value("payflow_payment_releases_owed_oldest_age_seconds"),
    )


def test_the_release_gauges_count_the_owed_releases_and_age_the_oldest(engine: Engine) -> None:
    read = PaymentQueries(engine).releases_owed
    refresh_release_gauges(read)
    assert _gauges() == (0, 0)
    oldest, newest = (uuid.uuid4(), uuid.uuid4()), (uuid.uuid4(), uuid.uuid4())
    _owe(engine, oldest, newest)
    with engine.begin() as conn:
        since = func.now() - timedelta(seconds=90)
        conn.execute(
            update(releases_owed).where(releases_owed.c.payment_id == oldest[0]).values(owed_since=since)
        )

    refresh_release_gauges(read)

    count, age = _gauges()
    assert count == 2
    assert age is not None
    assert 90 <= age < 150
