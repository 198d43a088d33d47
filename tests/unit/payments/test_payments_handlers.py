"""Payments handlers on fakes: charging once, every answer, duplicates, crashes and the sweeper."""

from __future__ import annotations

import uuid

import pytest

from app.payments import ChargeResult, PaymentsError, PaymentStatus, payment_handlers
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState, fake_uow_factory
from tests.unit.payments.payment_events import created, deliver


@pytest.fixture
def state() -> PaymentsState:
    return PaymentsState()


@pytest.fixture
def provider() -> FakePaymentGateway:
    return FakePaymentGateway()


def test_the_payments_module_consumes_order_events() -> None:
    handlers = payment_handlers(fake_uow_factory(PaymentsState()), FakePaymentGateway())

    assert set(handlers) == {"order.created", "order.cancelled"}


def test_an_approved_charge_approves_the_payment_and_announces_it(
    state: PaymentsState, provider: FakePaymentGateway
) -> None:
    order_id = uuid.uuid4()

    deliver(state, provider, created(order_id))

    payment = state.payments[order_id]
    assert payment.status is PaymentStatus.APPROVED
    assert provider.charges == [payment.id]
    assert state.events_of(order_id) == ["payment.approved"]
    assert state.outbox[-1][1] == "corr-create"


@pytest.mark.parametrize(
    ("answer", "event_type"),
    [
        (ChargeResult(PaymentStatus.DECLINED, "card_declined"), "payment.declined"),
        (ChargeResult(PaymentStatus.FAILED, "gateway_error"), "payment.failed"),
    ],
)
def test_a_rejected_charge_keeps_its_reason_and_announces_it(
    state: PaymentsState, answer: ChargeResult, event_type: str
) -> None:
    order_id = uuid.uuid4()

    deliver(state, FakePaymentGateway(answer=answer), created(order_id))

    payment = state.payments[order_id]
    assert payment.status is answer.status
    assert state.reasons[payment.id] == answer.reason
    assert state.events_of(order_id) == [event_type]


def test_a_duplicate_order_created_charges_once(state: PaymentsState, provider: FakePaymentGateway) -> None:
    order_id = uuid.uuid4()
    envelope = created(order_id)

    deliver(state, provider, envelope, envelope)

    assert len(provider.charges) == 1
    assert state.events_of(order_id) == ["payment.approved"]


def test_a_second_order_created_for_the_same_order_opens_no_second_payment(
    state: PaymentsState, provider: FakePaymentGateway
) -> None:
    order_id = uuid.uuid4()

    deliver(state, provider, created(order_id), created(order_id))

    assert len(provider.charges) == 1
    assert len(state.payments) == 1


def test_a_crash_before_recording_the_answer_retries_the_charge_with_the_same_payment_id(
    state: PaymentsState,
) -> None:
    order_id = uuid.uuid4()
    envelope = created(order_id)
    provider = FakePaymentGateway(failing_calls=1)
    with pytest.raises(ConnectionError):
        deliver(state, provider, envelope)

    deliver(state, provider, envelope)

    assert provider.charges == [state.payments[order_id].id] * 2
    assert state.payments[order_id].status is PaymentStatus.APPROVED


def test_a_handler_handed_the_wrong_event_type_refuses_it(
    state: PaymentsState, provider: FakePaymentGateway
) -> None:
    handlers = payment_handlers(fake_uow_factory(state), provider)

    with pytest.raises(PaymentsError):
        handlers["order.cancelled"](created(uuid.uuid4()))
