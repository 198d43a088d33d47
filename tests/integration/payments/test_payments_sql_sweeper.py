"""The sweeper on PostgreSQL: payments the provider never answered are failed and released once, even
with two sweepers at once; a late approval for one of them is given back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, func, select

from app.payments import ProviderUnavailable
from app.payments.domain import RELEASED_AFTER_TIMEOUT, Payment
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


class RefusingOnce(FakeProvider):
    """Refuses the first refund call (the provider is away), then gives back as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def refund(self, batch: Sequence[Payment]) -> None:
        if not self.refused:
            self.refused = len(batch)
            raise ProviderUnavailable("refund timed out")
        super().refund(batch)


def test_a_release_the_provider_refused_is_asked_again_and_noted_on_the_next_pass(engine: Engine) -> None:
    order_id = uuid.uuid4()
    deliver(build(engine, FakeProvider(answer=None)), created(order_id))
    backdate(engine, [order_id], seconds=DEADLINE_S + 60)
    provider = RefusingOnce()
    sweeper = build(engine, provider)

    failed_first, failed_next = sweeper.sweep(), sweeper.sweep()

    assert (failed_first, failed_next, provider.refused) == (1, 0, 1)
    assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
    assert provider.refunds == [payment_id_of(engine, order_id)]
    assert history_reasons(engine, order_id).count(RELEASED_AFTER_TIMEOUT) == 1
