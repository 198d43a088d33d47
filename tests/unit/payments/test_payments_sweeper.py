"""The sweeper on fakes: payments the provider never answered are failed once, after the deadline."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.payments import PaymentStatus, fail_stuck_payments
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState, fake_uow_factory
from tests.unit.payments.payment_events import AMOUNT, created, deliver


@pytest.fixture
def state() -> PaymentsState:
    return PaymentsState()


def test_a_provider_that_never_answers_leaves_the_payment_processing(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    envelope = created(order_id)

    deliver(state, FakePaymentGateway(answer=None), envelope)

    assert state.payments[order_id].status is PaymentStatus.PROCESSING
    assert envelope.id in state.inbox
    assert state.events_of(order_id) == []


def test_the_sweeper_fails_payments_stuck_beyond_the_deadline(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    deliver(state, FakePaymentGateway(answer=None), created(order_id))
    state.now += timedelta(seconds=31)

    failed = fail_stuck_payments(fake_uow_factory(state), FakePaymentGateway(), older_than_s=30)

    assert failed == 1
    assert state.payments[order_id].status is PaymentStatus.FAILED
    assert state.reasons[state.payments[order_id].id] == "gateway_timeout"
    assert state.events_of(order_id) == ["payment.failed"]
    assert state.outbox[-1][1] == "corr-create"


def test_an_approval_arriving_after_the_sweeper_failed_the_payment_is_refunded(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    provider.during_charge = lambda: sweep_after(state, timedelta(minutes=1))

    deliver(state, provider, created(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.FAILED
    assert provider.refunds == [(payment.id, AMOUNT)]
    assert state.events_of(order_id) == ["payment.failed"]


def sweep_after(state: PaymentsState, delay: timedelta) -> None:
    state.now += delay
    fail_stuck_payments(fake_uow_factory(state), FakePaymentGateway(), older_than_s=30)


def test_the_sweeper_leaves_payments_younger_than_the_deadline(state: PaymentsState) -> None:
    order_id = uuid.uuid4()
    deliver(state, FakePaymentGateway(answer=None), created(order_id))
    state.now += timedelta(seconds=29)

    failed = fail_stuck_payments(fake_uow_factory(state), FakePaymentGateway(), older_than_s=30)

    assert failed == 0
    assert state.payments[order_id].status is PaymentStatus.PROCESSING


def test_the_sweeper_fails_at_most_its_limit(state: PaymentsState) -> None:
    for _ in range(3):
        deliver(state, FakePaymentGateway(answer=None), created(uuid.uuid4()))
    state.now += timedelta(minutes=5)

    failed = fail_stuck_payments(fake_uow_factory(state), FakePaymentGateway(), older_than_s=30, limit=2)

    assert failed == 2


def test_the_sweeper_releases_a_timed_out_payment_at_the_provider_before_failing_it(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway(answer=None)
    deliver(state, provider, created(order_id))
    state.now += timedelta(seconds=31)

    fail_stuck_payments(fake_uow_factory(state), provider, older_than_s=30)

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.FAILED
    assert provider.refunds == [(payment.id, AMOUNT)]
