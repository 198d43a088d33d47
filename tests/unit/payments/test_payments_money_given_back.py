"""Money the provider took for a payment that ended without it is given back, even across crashes."""

from __future__ import annotations

import uuid

import pytest

from app.payments import ChargeResult, PaymentStatus
from tests.unit.payments.fake_payments import ProviderUnreachable
from tests.unit.payments.payment_events import AMOUNT, DEADLINE_S, InMemoryPayments, cancelled, created


class WorkerCrashed(Exception):
    """Stands in for the worker dying between the provider's answer and recording it."""


def crash() -> None:
    raise WorkerCrashed


@pytest.fixture
def system() -> InMemoryPayments:
    return InMemoryPayments()


def test_a_redelivered_creation_whose_payment_was_cancelled_meanwhile_releases_it(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.before_answering(order_id, crash)
    with pytest.raises(WorkerCrashed):
        system.deliver(message)
    system.deliver(cancelled(order_id))

    system.deliver(message)

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.CANCELLED
    assert system.provider.refunds == [(payment.id, AMOUNT), (payment.id, AMOUNT)]
    assert system.state.notes_of(order_id)[-1] == "released_on_redelivery"
    assert system.state.events_of(order_id) == ["payment.cancelled"]
    assert message.id in system.state.claimed


def test_a_late_approval_whose_refund_failed_is_refunded_when_the_event_comes_again(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    def cancel_then_break_the_next_refund() -> None:
        system.deliver(cancelled(order_id))
        system.provider.unreachable_calls = 1

    system.provider.before_answering(order_id, cancel_then_break_the_next_refund)
    with pytest.raises(ProviderUnreachable):
        system.deliver(message)

    system.deliver(message)

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.CANCELLED
    assert message.id in system.state.claimed
    assert (payment.id, AMOUNT) in system.provider.refunds
    assert system.state.notes_of(order_id)[-1] == "released_on_redelivery"


def test_a_late_approval_whose_refund_failed_leaves_its_event_unclaimed(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    def cancel_then_break_the_next_refund() -> None:
        system.deliver(cancelled(order_id))
        system.provider.unreachable_calls = 1

    system.provider.before_answering(order_id, cancel_then_break_the_next_refund)

    with pytest.raises(ProviderUnreachable):
        system.deliver(message)

    assert message.id not in system.state.claimed
    assert "late_approval_voided" not in system.state.notes_of(order_id)


def test_an_approval_lost_in_a_crash_is_given_back_after_the_sweeper_failed_the_payment(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.before_answering(order_id, crash)
    with pytest.raises(WorkerCrashed):
        system.deliver(message)
    system.sweep_after(DEADLINE_S + 1)

    system.deliver(message)

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.FAILED
    assert system.provider.charged(order_id) == [payment.id]
    assert set(system.provider.refunds) == {(payment.id, AMOUNT)}
    assert system.state.notes_of(order_id)[-1] == "released_on_redelivery"
    assert message.id in system.state.claimed


def test_a_redelivered_creation_of_a_declined_payment_neither_charges_nor_refunds(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.answer(order_id, ChargeResult(PaymentStatus.DECLINED, "card_declined"))
    system.provider.before_answering(order_id, crash)
    with pytest.raises(WorkerCrashed):
        system.deliver(message)
    system.deliver(created(order_id))  # another creation event of the order gets the decline recorded

    system.deliver(message)

    assert len(system.provider.charges) == 2
    assert system.provider.refunds == []
    assert system.payment(order_id).status is PaymentStatus.DECLINED
    assert message.id in system.state.claimed
