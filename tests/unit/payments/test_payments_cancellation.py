"""Cancelling an order on the payments side: before, during and after the charge, and duplicates."""

from __future__ import annotations

import uuid

import pytest

from app.payments import ChargeResult, PaymentStatus
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState
from tests.unit.payments.payment_events import AMOUNT, cancelled, created, deliver


@pytest.fixture
def state() -> PaymentsState:
    return PaymentsState()


def test_a_cancel_before_the_order_reaches_payments_opens_a_cancelled_payment_without_charging(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()

    deliver(state, provider, cancelled(order_id), created(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.CANCELLED
    assert state.reasons[payment.id] == "order_cancelled_before_payment"
    assert provider.charges == []
    assert state.events_of(order_id) == ["payment.cancelled"]


def test_cancelling_a_paid_order_refunds_the_payment(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()

    deliver(state, provider, created(order_id), cancelled(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.REFUNDED
    assert provider.refunds == [(payment.id, AMOUNT)]
    assert state.events_of(order_id) == ["payment.approved", "payment.refunded"]
    assert state.outbox[-1][1] == "corr-cancel"


def test_a_duplicate_cancel_refunds_once(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    envelope = cancelled(order_id)

    deliver(state, provider, created(order_id), envelope, envelope)

    assert len(provider.refunds) == 1
    assert state.events_of(order_id) == ["payment.approved", "payment.refunded"]


def test_a_refund_that_fails_is_retried_with_the_cancel(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    envelope = cancelled(order_id)
    deliver(state, provider, created(order_id))
    provider.failing_calls = 1
    with pytest.raises(ConnectionError):
        deliver(state, provider, envelope)

    deliver(state, provider, envelope)

    assert state.payments[order_id].status is PaymentStatus.REFUNDED
    assert state.events_of(order_id) == ["payment.approved", "payment.refunded"]


def test_cancelling_while_the_charge_is_in_flight_cancels_and_refunds_the_late_approval(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    provider.during_charge = lambda: deliver(state, provider, cancelled(order_id))

    deliver(state, provider, created(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.CANCELLED
    assert set(provider.refunds) == {(payment.id, AMOUNT)}
    assert state.events_of(order_id) == ["payment.cancelled"]
    assert state.notes_of(order_id)[-1] == "late_approval_voided"


def test_a_decline_after_a_cancel_changes_nothing_and_triggers_no_refund_of_its_own(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway(answer=ChargeResult(PaymentStatus.DECLINED, "card_declined"))
    provider.during_charge = lambda: deliver(state, provider, cancelled(order_id))

    deliver(state, provider, created(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.CANCELLED
    assert provider.refunds == [(payment.id, AMOUNT)]  # the cancel's own give-back, not the decline's
    assert "late_approval_voided" not in state.notes_of(order_id)


def test_cancelling_a_processing_payment_gives_back_anything_the_provider_took(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway(answer=None)
    deliver(state, provider, created(order_id))

    deliver(state, provider, cancelled(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.CANCELLED
    assert provider.refunds == [(payment.id, AMOUNT)]


@pytest.mark.parametrize(
    "answer", [ChargeResult(PaymentStatus.DECLINED, "card_declined"), ChargeResult(PaymentStatus.FAILED, "x")]
)
def test_cancelling_a_rejected_payment_only_records_the_cancel(
    state: PaymentsState, answer: ChargeResult
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway(answer=answer)
    envelope = cancelled(order_id)

    deliver(state, provider, created(order_id), envelope)

    assert state.payments[order_id].status is answer.status
    assert envelope.id in state.inbox
    assert provider.refunds == []
    assert len(state.events_of(order_id)) == 1


def test_cancelling_a_payment_the_provider_never_answered_cancels_it(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway(answer=None)
    deliver(state, provider, created(order_id))

    deliver(state, provider, cancelled(order_id))

    assert state.payments[order_id].status is PaymentStatus.CANCELLED
    assert state.events_of(order_id) == ["payment.cancelled"]


def test_a_second_order_created_during_the_charge_keeps_the_single_approved_payment(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    provider.during_charge = lambda: deliver(state, provider, created(order_id))

    deliver(state, provider, created(order_id))

    assert state.payments[order_id].status is PaymentStatus.APPROVED
    assert provider.refunds == []
    assert state.events_of(order_id) == ["payment.approved"]
