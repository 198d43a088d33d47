"""The sweeper on fakes: payments the provider never answered are released and failed once, after the
deadline."""

from __future__ import annotations

import functools
import uuid

import pytest

from app.payments.domain import PaymentStatus
from app.payments.sweeper import fail_stuck_payments
from tests.unit.payments.fake_payments import FakePaymentsUnitOfWork, FakeProvider
from tests.unit.payments.payment_events import (
    AMOUNT,
    CREATE_CORRELATION,
    DEADLINE_S,
    InMemoryPayments,
    created,
)


@pytest.fixture
def system() -> InMemoryPayments:
    return InMemoryPayments(provider=FakeProvider(None))


def test_a_provider_that_never_answers_leaves_the_payment_processing(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    message = created(order_id)

    system.deliver(message)

    assert system.payment(order_id).status is PaymentStatus.PROCESSING
    assert message.id in system.state.claimed
    assert system.state.events_of(order_id) == []


def test_the_sweeper_fails_payments_stuck_beyond_the_deadline(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))

    failed = system.sweep_after(DEADLINE_S + 1)

    payment = system.payment(order_id)
    assert failed == 1
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "provider_timeout")
    assert system.state.events_of(order_id) == ["payment.failed"]
    assert system.state.correlations_of(order_id) == [CREATE_CORRELATION]
    assert system.state.lines_of(order_id)[-1].event_type == "payments.sweeper"


def test_the_sweeper_fails_nothing_until_its_inbox_has_been_consumed_for_the_deadline_but_still_releases(
    system: InMemoryPayments,
) -> None:
    owed, stuck = uuid.uuid4(), uuid.uuid4()
    system.deliver(created(owed))
    system.provider.unreachable_calls = 1  # its release does not go through: it stays owed
    system.sweep_after(DEADLINE_S + 1)
    assert "released_after_timeout" not in system.state.notes_of(owed)
    system.deliver(created(stuck))
    system.state.advance(DEADLINE_S + 1)

    failed_early = system.module.sweep(consumed_s=DEADLINE_S - 1)  # a worker back from an outage

    assert failed_early == 0
    assert system.payment(stuck).status is PaymentStatus.PROCESSING  # its redelivery is charged first
    assert system.state.notes_of(owed)[-1] == "released_after_timeout"
    assert system.module.sweep(consumed_s=DEADLINE_S) == 1
    assert system.payment(stuck).status is PaymentStatus.FAILED


def test_the_sweeper_releases_a_timed_out_payment_at_the_provider_before_failing_it(
    system: InMemoryPayments,
) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))

    system.sweep_after(DEADLINE_S + 1)

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.FAILED
    assert system.provider.refunds == [(payment.id, AMOUNT)]


def test_the_sweeper_leaves_payments_younger_than_the_deadline(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))

    failed = system.sweep_after(DEADLINE_S - 1)

    assert failed == 0
    assert system.payment(order_id).status is PaymentStatus.PROCESSING
    assert system.provider.refunds == []


def test_the_sweeper_fails_a_payment_only_once(system: InMemoryPayments) -> None:
    order_id = uuid.uuid4()
    system.deliver(created(order_id))
    system.sweep_after(DEADLINE_S + 1)

    failed_again = system.sweep_after(DEADLINE_S + 1)

    assert failed_again == 0
    assert system.state.events_of(order_id) == ["payment.failed"]


def test_the_sweeper_leaves_answered_payments_alone() -> None:
    system, order_id = InMemoryPayments(), uuid.uuid4()
    system.deliver(created(order_id))

    failed = system.sweep_after(DEADLINE_S * 10)

    assert failed == 0
    assert system.payment(order_id).status is PaymentStatus.APPROVED


def test_the_sweeper_fails_at_most_its_limit_oldest_first(system: InMemoryPayments) -> None:
    order_ids = [uuid.uuid4() for _ in range(3)]
    for order_id in order_ids:
        system.deliver(created(order_id))
        system.state.advance(1)
    system.state.advance(DEADLINE_S * 10)

    unit_of_work = functools.partial(FakePaymentsUnitOfWork, system.state)
    failed = fail_stuck_payments(unit_of_work, system.provider, DEADLINE_S, limit=2)

    statuses = [system.payment(order_id).status for order_id in order_ids]
    assert failed == 2
    assert statuses == [PaymentStatus.FAILED, PaymentStatus.FAILED, PaymentStatus.PROCESSING]
    assert {payment_id for payment_id, _ in system.provider.refunds} == {
        system.payment(order_id).id for order_id in order_ids[:2]
    }


def test_an_approval_arriving_after_the_sweeper_failed_the_payment_is_given_back() -> None:
    system, order_id = InMemoryPayments(), uuid.uuid4()
    system.provider.before_answering(order_id, lambda: system.sweep_after(DEADLINE_S * 2))

    system.deliver(created(order_id))

    payment = system.payment(order_id)
    assert payment.status is PaymentStatus.FAILED
    assert system.provider.refunds == [
        (payment.id, AMOUNT),
        (payment.id, AMOUNT),
    ]  # the sweeper's, the void's
    assert system.state.events_of(order_id) == ["payment.failed"]
    assert system.state.notes_of(order_id)[-1] == "late_approval_voided"
