"""The payments batch handler on fakes: one payment per order, every answer, duplicates, failures."""

from __future__ import annotations

import uuid

import pytest

from app.contracts import OrderCancelled, OrderCreated, read_message
from app.payments import ChargeResult, PaymentStatus
from app.payments.provider import MAX_REASON_LENGTH
from tests.unit.payments.fake_payments import FakeProvider, ProviderUnreachable, StorageFailure
from tests.unit.payments.payment_events import (
    AMOUNT,
    CREATE_CORRELATION,
    InMemoryPayments,
    cancelled,
    created,
)


@pytest.fixture
def system() -> InMemoryPayments:
    return InMemoryPayments()


def test_the_module_maps_order_events_to_one_batch_handler(system: InMemoryPayments) -> None:
    handlers = system.module.handlers

    assert set(handlers) == {OrderCreated, OrderCancelled}
    assert len(set(handlers.values())) == 1


def test_an_approved_charge_approves_the_payment_and_announces_it(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    waiting = system.deliver_batch([message])

    payment = system.payment(order_id)
    assert waiting == frozenset()
    assert (payment.status, payment.amount, payment.reason) == (PaymentStatus.APPROVED, AMOUNT, None)
    assert system.provider.charged(order_id) == [payment.id]
    assert system.state.events_of(order_id) == ["payment.approved"]
    assert system.state.correlations_of(order_id) == [CREATE_CORRELATION]
    assert message.id in system.state.claimed


def test_a_payment_keeps_its_history_from_processing_to_its_answer(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    system.deliver(message)

    lines = system.state.lines_of(order_id)
    assert [(line.from_status, line.to_status) for line in lines] == [
        (None, PaymentStatus.PROCESSING),
        (PaymentStatus.PROCESSING, PaymentStatus.APPROVED),
    ]
    assert {(line.event_id, line.event_type) for line in lines} == {(message.id, "order.created")}


@pytest.mark.parametrize(
    ("answer", "event_type"),
    [
        (ChargeResult(PaymentStatus.DECLINED, "card_declined"), "payment.declined"),
        (ChargeResult(PaymentStatus.FAILED, "provider_error"), "payment.failed"),
    ],
)
def test_a_rejected_charge_keeps_its_reason_and_announces_it(answer: ChargeResult, event_type: str) -> None:
    system, order_id = InMemoryPayments(provider=FakeProvider(answer)), uuid.uuid4()

    system.deliver(created(order_id))

    payment = system.payment(order_id)
    assert (payment.status, payment.reason) == (answer.status, answer.reason)
    assert system.state.events_of(order_id) == [event_type]


def test_each_order_of_a_batch_gets_the_answer_the_provider_gave_it(system: InMemoryPayments) -> None:
    approved, declined, unanswered = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    system.provider.answer(declined, ChargeResult(PaymentStatus.DECLINED, "card_declined"))
    system.provider.answer(unanswered, None)

    system.deliver_batch([created(approved), created(declined), created(unanswered)])

    statuses = {order_id: system.payment(order_id).status for order_id in (approved, declined, unanswered)}
    assert statuses == {
        approved: PaymentStatus.APPROVED,
        declined: PaymentStatus.DECLINED,
        unanswered: PaymentStatus.PROCESSING,
    }
    assert len(system.provider.charges) == 3


def test_a_batch_hands_the_provider_all_its_charges_in_one_call(system: InMemoryPayments) -> None:
    order_ids = [uuid.uuid4() for _ in range(3)]

    system.deliver_batch([created(order_id) for order_id in order_ids])

    assert system.provider.calls == [("charge", order_ids)]


def test_a_batch_that_refunds_and_charges_gives_back_first_and_each_order_gets_its_own_answer(
    system: InMemoryPayments,
) -> None:
    refunded, declined, approved = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    system.deliver(created(refunded))
    system.provider.answer(declined, ChargeResult(PaymentStatus.DECLINED, "card_declined"))
    system.provider.calls.clear()

    system.deliver_batch([cancelled(refunded), created(declined), created(approved)])

    statuses = {order_id: system.payment(order_id).status for order_id in (refunded, declined, approved)}
    assert statuses == {
        refunded: PaymentStatus.REFUNDED,
        declined: PaymentStatus.DECLINED,
        approved: PaymentStatus.APPROVED,
    }
    assert system.provider.calls == [("refund", [refunded]), ("charge", [declined, approved])]


def test_a_batch_with_nothing_to_charge_never_asks_for_a_charge(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))
    system.provider.calls.clear()

    system.deliver(cancelled(order_id))

    assert system.provider.calls == [("refund", [order_id])]


def test_a_duplicate_order_created_across_batches_charges_once(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    system.deliver(message, message)

    assert len(system.provider.charges) == 1
    assert system.state.events_of(order_id) == ["payment.approved"]


def test_a_duplicate_within_one_batch_opens_one_payment_and_charges_only_its_id(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    system.deliver_batch([message, message])

    payment = system.payment(order_id)
    assert set(system.provider.charged(order_id)) == {payment.id}
    assert payment.status is PaymentStatus.APPROVED
    assert system.state.events_of(order_id) == ["payment.approved"]


def test_a_second_order_created_for_the_same_order_opens_no_second_payment(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()

    system.deliver(created(order_id), created(order_id))

    assert len(system.provider.charges) == 1
    assert list(system.state.payments) == [order_id]


def test_two_creations_of_one_order_in_one_batch_share_its_one_payment(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    batch = [created(order_id), created(order_id)]

    system.deliver_batch(batch)

    payment = system.payment(order_id)
    assert system.provider.calls == [("charge", [order_id])]  # its payment asked for once
    assert set(system.provider.charged(order_id)) == {payment.id}
    assert system.state.events_of(order_id) == ["payment.approved"]
    assert {message.id for message in batch} <= system.state.claimed


def test_an_unreachable_provider_keeps_the_payment_processing_and_the_event_unclaimed(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.unreachable_calls = 1

    with pytest.raises(ProviderUnreachable):
        system.deliver(message)

    assert system.payment(order_id).status is PaymentStatus.PROCESSING
    assert message.id not in system.state.claimed
    assert system.state.events_of(order_id) == []


def test_a_crash_before_recording_the_answer_retries_the_charge_with_the_same_payment_id(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.unreachable_calls = 1
    with pytest.raises(ProviderUnreachable):
        system.deliver(message)

    system.deliver(message)

    payment = system.payment(order_id)
    assert system.provider.charged(order_id) == [payment.id, payment.id]
    assert payment.status is PaymentStatus.APPROVED
    assert message.id in system.state.claimed


def test_a_batch_whose_first_save_fails_keeps_nothing_and_charges_nothing(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    batch = [created(order_id), cancelled(uuid.uuid4())]
    system.state.broken_saves = 1

    with pytest.raises(StorageFailure):
        system.deliver_batch(batch)

    assert system.state.payments == {}
    assert system.state.tombstones == {}
    assert system.state.claimed == set()
    assert system.provider.charges == []


def test_an_answer_that_could_not_be_saved_is_asked_again_on_redelivery(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    system.provider.before_answering(order_id, lambda: setattr(system.state, "broken_saves", 1))
    with pytest.raises(StorageFailure):
        system.deliver(message)

    system.deliver(message)

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.APPROVED
    assert system.provider.charged(order_id) == [payment.id, payment.id]
    assert system.state.events_of(order_id) == ["payment.approved"]


def test_payments_never_wait_for_another_event(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()

    waiting = system.deliver_batch([cancelled(order_id), created(uuid.uuid4())])

    assert waiting == frozenset()


def test_a_providers_reason_is_kept_printable_so_the_event_carrying_it_passes_the_contract(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    system.provider.answer(order_id, ChargeResult(PaymentStatus.DECLINED, "card\ndeclined\x00\x1b[31m"))

    system.deliver(created(order_id))

    payment = system.payment(order_id)
    [event] = [read_message(envelope.to_json().encode()) for envelope in system.state.outbox]
    assert payment.reason == "card\\x0adeclined\\x00\\x1b[31m"
    assert (event.type, event.event.reason) == ("payment.declined", payment.reason)


def test_a_providers_reason_is_cut_to_its_limit() -> None:
    result = ChargeResult(PaymentStatus.FAILED, "x" * (MAX_REASON_LENGTH + 50))

    assert result.reason == "x" * MAX_REASON_LENGTH
