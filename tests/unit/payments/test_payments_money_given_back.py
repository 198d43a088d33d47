"""Money the provider took for a payment that ended without it is given back, even across crashes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.payments import PaymentStatus, fail_stuck_payments
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState, fake_uow_factory
from tests.unit.payments.payment_events import AMOUNT, cancelled, created, deliver


class WorkerCrashed(Exception):
    """Stands in for the worker dying between the provider's answer and recording it."""


def crash() -> None:
    raise WorkerCrashed


@pytest.fixture
def state() -> PaymentsState:
    return PaymentsState()


def test_a_late_approval_whose_refund_failed_is_refunded_when_the_event_comes_again(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    envelope = created(order_id)

    def cancel_then_break_the_next_refund() -> None:
        deliver(state, provider, cancelled(order_id))
        provider.failing_calls = 1

    provider.during_charge = cancel_then_break_the_next_refund
    with pytest.raises(ConnectionError):
        deliver(state, provider, envelope)
    assert envelope.id not in state.inbox

    deliver(state, provider, envelope)

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.CANCELLED
    assert envelope.id in state.inbox
    assert (payment.id, AMOUNT) in provider.refunds
    assert state.notes_of(order_id)[-1] == "released_on_redelivery"


def test_an_approval_lost_in_a_crash_is_given_back_after_the_sweeper_failed_the_payment(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    envelope = created(order_id)
    provider.during_charge = crash
    with pytest.raises(WorkerCrashed):
        deliver(state, provider, envelope)
    state.now += timedelta(seconds=31)
    fail_stuck_payments(fake_uow_factory(state), provider, older_than_s=30)

    deliver(state, provider, envelope)

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.FAILED
    assert provider.charges == [payment.id]
    assert set(provider.refunds) == {(payment.id, AMOUNT)}
    assert state.notes_of(order_id)[-1] == "released_on_redelivery"
    assert envelope.id in state.inbox
