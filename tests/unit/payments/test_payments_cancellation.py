"""Cancelling an order on the payments side: before, during and after the charge, in one batch, twice."""

from __future__ import annotations

import uuid

import pytest

from app.payments import ChargeResult, PaymentStatus
from tests.unit.payments.fake_payments import FakeProvider, ProviderUnreachable
from tests.unit.payments.payment_events import (
    AMOUNT,
    CANCEL_CORRELATION,
    CREATE_CORRELATION,
    InMemoryPayments,
    cancelled,
    created,
)


@pytest.fixture
def system() -> InMemoryPayments:
    return InMemoryPayments()


def test_a_cancel_before_the_order_reaches_payments_opens_a_cancelled_payment_without_charging(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()

    system.deliver(cancelled(order_id), created(order_id))

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled_before_payment")
    assert system.provider.charges == []
    assert system.provider.refunds == []
    assert system.state.events_of(order_id) == ["payment.cancelled"]


def test_an_old_creation_whose_claim_was_purged_leaves_a_payment_born_cancelled_as_it_is(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    creation = created(order_id)
    system.deliver(cancelled(order_id), creation)
    system.state.claimed.clear()  # the inbox forgot it, as its purge does after a week
    history = system.state.lines_of(order_id)

    system.deliver(creation)

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled_before_payment")
    assert system.provider.charges == []
    assert system.provider.refunds == []  # nothing was ever charged: nothing to release
    assert system.state.lines_of(order_id) == history  # no `released_on_redelivery` line
    assert creation.id in system.state.claimed


def test_a_cancel_records_a_tombstone_for_its_order(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = cancelled(order_id)

    system.deliver(message)

    assert system.state.tombstones == {order_id: message.id}
    assert message.id in system.state.claimed
    assert system.state.payments == {}


def test_created_and_cancelled_in_one_batch_never_charge_and_say_so(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    batch = [created(order_id), cancelled(order_id)]

    system.deliver_batch(batch)
    system.state.claimed.clear()  # a week later, the inbox forgot them
    system.deliver(batch[0])

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled_before_payment")
    assert system.provider.charges == []
    assert system.state.events_of(order_id) == ["payment.cancelled"]
    assert "released_on_redelivery" not in system.state.notes_of(order_id)  # nothing to give back
    assert batch[0].id in system.state.claimed


def test_cancelled_then_created_in_one_batch_opens_a_cancelled_payment_without_charging(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()

    system.deliver_batch([cancelled(order_id), created(order_id)])

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled_before_payment")
    assert system.provider.charges == []


def test_cancelling_a_paid_order_refunds_the_payment(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))

    system.deliver(cancelled(order_id))

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "order_cancelled")
    assert system.provider.refunds == [(payment.id, AMOUNT)]
    assert system.state.events_of(order_id) == ["payment.approved", "payment.refunded"]
    assert system.state.correlations_of(order_id) == [CREATE_CORRELATION, CANCEL_CORRELATION]


def test_a_duplicate_cancel_refunds_once(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = cancelled(order_id)

    system.deliver(created(order_id), message, message)

    assert len(system.provider.refunds) == 1
    assert system.state.events_of(order_id) == ["payment.approved", "payment.refunded"]


def test_a_second_cancel_event_for_a_refunded_order_changes_nothing(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id), cancelled(order_id))

    system.deliver(cancelled(order_id))

    assert len(system.provider.refunds) == 1
    assert system.payment(order_id).status is PaymentStatus.REFUNDED


def test_a_refund_that_fails_is_retried_with_the_cancel(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = cancelled(order_id)
    system.deliver(created(order_id))
    system.provider.unreachable_calls = 1
    with pytest.raises(ProviderUnreachable):
        system.deliver(message)

    system.deliver(message)

    assert system.payment(order_id).status is PaymentStatus.REFUNDED
    assert system.state.events_of(order_id) == ["payment.approved", "payment.refunded"]
    assert message.id in system.state.claimed


def test_cancelling_while_the_charge_is_in_flight_cancels_and_voids_the_late_approval(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.before_answering(order_id, lambda: system.deliver(cancelled(order_id)))

    system.deliver(message)

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled")
    assert set(system.provider.refunds) == {(payment.id, AMOUNT)}
    assert system.state.events_of(order_id) == ["payment.cancelled"]
    assert system.state.notes_of(order_id)[-1] == "late_approval_voided"
    assert message.id in system.state.claimed


def test_a_decline_after_a_cancel_changes_nothing_and_triggers_no_refund_of_its_own() -> None:
    order_id = uuid.uuid4()
    system = InMemoryPayments(provider=FakeProvider(ChargeResult(PaymentStatus.DECLINED, "card_declined")))
    system.provider.before_answering(order_id, lambda: system.deliver(cancelled(order_id)))

    system.deliver(created(order_id))

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.CANCELLED
    assert system.provider.refunds == [(payment.id, AMOUNT)]  # the cancel's own give-back, not the decline's
    assert "late_approval_voided" not in system.state.notes_of(order_id)


def test_cancelling_a_processing_payment_cancels_it_and_gives_back_anything_the_provider_took(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    system.provider.answer(order_id, None)
    system.deliver(created(order_id))

    system.deliver(cancelled(order_id))

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (PaymentStatus.CANCELLED, "order_cancelled")
    assert system.provider.refunds == [(payment.id, AMOUNT)]
    assert system.state.events_of(order_id) == ["payment.cancelled"]
    assert system.state.correlations_of(order_id) == [CANCEL_CORRELATION]


@pytest.mark.parametrize(
    "answer",
    [
        ChargeResult(PaymentStatus.DECLINED, "card_declined"),
        ChargeResult(PaymentStatus.FAILED, "provider_error"),
    ],
)
def test_cancelling_a_rejected_payment_only_records_the_cancel(answer: ChargeResult) -> None:
    order_id = uuid.uuid4()
    system = InMemoryPayments(provider=FakeProvider(answer))
    message = cancelled(order_id)

    system.deliver(created(order_id), message)

    assert system.payment(order_id).status is answer.status
    assert message.id in system.state.claimed
    assert order_id in system.state.tombstones
    assert system.provider.refunds == []
    assert len(system.state.events_of(order_id)) == 1


def test_a_second_order_created_during_the_charge_keeps_the_single_approved_payment(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    system.provider.before_answering(order_id, lambda: system.deliver(created(order_id)))

    system.deliver(created(order_id))

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.APPROVED
    assert set(system.provider.charged(order_id)) == {payment.id}
    assert system.provider.refunds == []
    assert system.state.events_of(order_id) == ["payment.approved"]
