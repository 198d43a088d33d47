"""Money as the provider holds it, through crashes, timeouts, sweeps and refusals: never kept without a
payment that accounts for it, never given back under one that does."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from app.bus.batches import Failure, classify
from app.bus.settlement import RetryPolicy
from app.payments import ChargeResult, PaymentStatus, ProviderUnavailable
from app.payments.decisions import open_payments, settle
from app.payments.domain import RELEASED_AFTER_TIMEOUT, UNANSWERED_CHARGE_RELEASED, Payment
from app.payments.ledger import Book, Ledger
from app.payments.sweeper import fail_stuck_payments
from tests.unit.payments.fake_payments import FakePaymentsUnitOfWork, StorageFailure
from tests.unit.payments.payment_events import DEADLINE_S, InMemoryPayments, cancelled, created

APPROVED = ChargeResult(PaymentStatus.APPROVED)
HOLDS_MONEY = frozenset({PaymentStatus.APPROVED})


class WorkerCrashed(Exception):
    """Stands in for the worker dying at that point."""


class RefundRefused(Exception):
    """What an adapter raises when the provider answers a refund with an error."""


class MoneyProvider:
    """A provider that keeps the money: a charge takes it once per payment id (asked again, it answers the
    same and takes nothing more); a refund gives back whatever the id holds then. Hooks run, per order,
    just before or just after a charge lands."""

    def __init__(self) -> None:
        self.answers: dict[uuid.UUID, ChargeResult | None] = {}  # by order id; APPROVED when absent
        self.taken: set[uuid.UUID] = set()
        self.held: set[uuid.UUID] = set()
        self.before_landing: dict[uuid.UUID, Callable[[], Any]] = {}
        self.after_landing: dict[uuid.UUID, Callable[[], Any]] = {}
        self.refused: set[uuid.UUID] = set()  # order ids whose refunds raise
        self.away = False  # every call raises ProviderUnavailable
        self.timing_out: set[uuid.UUID] = set()  # order ids whose refunds never answer
        self.refund_calls = 0

    def charge(self, payments: Sequence[Payment]) -> dict[uuid.UUID, ChargeResult | None]:
        answers = {}
        for payment in payments:
            if hook := self.before_landing.pop(payment.order_id, None):
                hook()
            if payment.id not in self.taken:
                self.taken.add(payment.id)
                self.held.add(payment.id)
            if hook := self.after_landing.pop(payment.order_id, None):
                hook()
            answers[payment.id] = self.answers.get(payment.order_id, APPROVED)
        return answers

    def refund(self, payments: Sequence[Payment]) -> None:
        """The requests go out side by side: the accepted ones are done when a refused one raises."""
        self.refund_calls += 1
        if self.away:
            raise ProviderUnavailable("no answer from the provider")
        for payment in payments:
            if payment.order_id not in self.refused | self.timing_out:
                self.held.discard(payment.id)
        if [payment for payment in payments if payment.order_id in self.timing_out]:
            raise ProviderUnavailable("a refund did not answer in time")
        if refused := [payment.id for payment in payments if payment.order_id in self.refused]:
            raise RefundRefused(f"refund of {refused[0]} refused")


def _system() -> InMemoryPayments:
    return InMemoryPayments(provider=MoneyProvider())  # type: ignore[arg-type]


def _provider(system: InMemoryPayments) -> MoneyProvider:
    assert isinstance(system.provider, MoneyProvider)
    return system.provider


def _crash() -> None:
    raise WorkerCrashed


def _stuck(system: InMemoryPayments, order_id: uuid.UUID) -> None:
    """Charged, and the worker died before recording the answer; its event was dead-lettered since."""
    _provider(system).after_landing[order_id] = _crash
    with pytest.raises(WorkerCrashed):
        system.deliver(created(order_id))
    system.state.advance(1)


def _holds(system: InMemoryPayments, order_id: uuid.UUID) -> bool:
    return system.payment(order_id).id in _provider(system).held


def test_a_sweep_that_fails_before_its_commit_gives_nothing_back_so_a_late_approval_keeps_its_money() -> None:
    system, order_id = _system(), uuid.uuid4()
    message = created(order_id)
    _provider(system).after_landing[order_id] = _crash  # charged, the answer never recorded
    with pytest.raises(WorkerCrashed):
        system.deliver(message)
    system.state.advance(DEADLINE_S + 1)

    def sweep_whose_commit_fails() -> None:
        system.state.broken_saves = 1
        with pytest.raises(StorageFailure):
            system.module.sweep()

    _provider(system).after_landing[order_id] = sweep_whose_commit_fails
    system.deliver(message)  # the redelivery is answered APPROVED once the sweep has failed

    assert system.payment(order_id).status is PaymentStatus.APPROVED
    assert _holds(system, order_id)


def test_a_refund_the_provider_refuses_does_not_hold_back_the_other_stuck_payments() -> None:
    system, refused, others = _system(), uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    for order_id in [refused, *others]:
        _provider(system).after_landing[order_id] = _crash
        with pytest.raises(WorkerCrashed):
            system.deliver(created(order_id))
        system.state.advance(1)
    _provider(system).refused.add(refused)

    failed = system.sweep_after(DEADLINE_S + 1)

    assert failed == 4
    assert [system.payment(order_id).status for order_id in [refused, *others]] == [PaymentStatus.FAILED] * 4
    assert [_holds(system, order_id) for order_id in [refused, *others]] == [True, False, False, False]
    assert [system.state.notes_of(order_id)[-1] for order_id in others] == [RELEASED_AFTER_TIMEOUT] * 3
    assert system.state.notes_of(refused)[-1] != RELEASED_AFTER_TIMEOUT


def test_a_release_the_sweeper_could_not_make_is_made_and_noted_on_a_later_pass() -> None:
    system, order_id = _system(), uuid.uuid4()
    _provider(system).after_landing[order_id] = _crash
    with pytest.raises(WorkerCrashed):
        system.deliver(created(order_id))
    _provider(system).refused.add(order_id)
    system.sweep_after(DEADLINE_S + 1)
    _provider(system).refused.clear()

    failed_again = system.sweep_after(1)

    assert failed_again == 0
    assert not _holds(system, order_id)
    assert system.state.notes_of(order_id).count(RELEASED_AFTER_TIMEOUT) == 1


def test_releases_the_provider_keeps_refusing_go_to_the_back_so_a_newer_one_is_released() -> None:
    system, refused, newer = _system(), [uuid.uuid4(), uuid.uuid4()], uuid.uuid4()
    unit_of_work = functools.partial(FakePaymentsUnitOfWork, system.state)
    for order_id in [*refused, newer]:
        _stuck(system, order_id)
    _provider(system).refused.update(refused)
    system.state.advance(DEADLINE_S + 1)
    fail_stuck_payments(unit_of_work, system.provider, DEADLINE_S, limit=2)  # the two refused, oldest

    fail_stuck_payments(unit_of_work, system.provider, DEADLINE_S, limit=2)

    assert not _holds(system, newer)
    assert [_holds(system, order_id) for order_id in refused] == [True, True]


def test_a_release_that_keeps_timing_out_does_not_hold_back_the_others() -> None:
    system, slow, others = _system(), uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    for order_id in [slow, *others]:
        _stuck(system, order_id)
    _provider(system).timing_out.add(slow)

    for _ in range(3):
        system.sweep_after(DEADLINE_S + 1)

    assert [_holds(system, order_id) for order_id in [slow, *others]] == [True, False, False]
    assert [system.state.notes_of(order_id).count(RELEASED_AFTER_TIMEOUT) for order_id in others] == [1, 1]


def test_with_the_provider_away_the_sweeper_fails_payments_and_stops_asking_after_two_timeouts() -> None:
    system, order_ids = _system(), [uuid.uuid4() for _ in range(3)]
    for order_id in order_ids:
        _stuck(system, order_id)
    _provider(system).away = True

    failed = system.sweep_after(DEADLINE_S + 1)
    _provider(system).away = False
    system.sweep_after(1)

    assert failed == 3
    assert _provider(system).refund_calls == 4  # the batch, two alone timing out; then the batch again
    assert [_holds(system, order_id) for order_id in order_ids] == [False] * 3
    assert [system.state.notes_of(order_id)[-1] for order_id in order_ids] == [RELEASED_AFTER_TIMEOUT] * 3


@pytest.mark.parametrize("ended_by", ["cancel", "sweeper"])
def test_a_charge_nobody_answered_that_lands_after_its_payment_ended_is_given_back(ended_by: str) -> None:
    system, order_id = _system(), uuid.uuid4()
    message = created(order_id)
    _provider(system).answers[order_id] = None  # the request timed out here; the provider took it

    def end_the_payment() -> None:
        if ended_by == "cancel":
            system.deliver(cancelled(order_id))
        else:
            assert system.sweep_after(DEADLINE_S + 1) == 1

    _provider(system).before_landing[order_id] = end_the_payment
    system.deliver(message)

    assert system.payment(order_id).status in {PaymentStatus.CANCELLED, PaymentStatus.FAILED}
    assert message.id in system.state.claimed
    assert not _holds(system, order_id)
    assert system.state.notes_of(order_id)[-1] == UNANSWERED_CHARGE_RELEASED


def test_a_provider_outage_is_retried_for_as_long_as_it_lasts_never_dead_lettered() -> None:
    policy = RetryPolicy("payments.inbox", max_attempts=5, retry_delays_ms=(250, 1000))

    failure = classify(ProviderUnavailable("provider did not answer in 10 s"))

    assert failure is Failure.TRANSIENT
    assert not policy.gives_up(failure, attempt=1_000)


def test_an_answer_for_an_event_a_concurrent_delivery_claimed_meanwhile_is_still_recorded() -> None:
    order_id = uuid.uuid4()
    message = created(order_id)
    payment = Payment(uuid.uuid4(), order_id, message.event.total, PaymentStatus.PROCESSING, None, "c")
    (step,) = open_payments(Ledger({order_id: Book(False, payment)}, set()), [message])
    # The other delivery got no answer and claimed the event; this one was answered APPROVED.
    claimed_meanwhile = Ledger({order_id: Book(False, payment)}, {message.id})

    still_to_give_back = settle(claimed_meanwhile, [(step, APPROVED)])

    assert still_to_give_back == []
    assert claimed_meanwhile.book(order_id).payment is not None
    assert claimed_meanwhile.book(order_id).payment.status is PaymentStatus.APPROVED
    assert claimed_meanwhile.claims == []


def test_a_crash_after_the_charge_then_a_cancel_then_the_redelivery_gives_the_money_back() -> None:
    system, order_id = _system(), uuid.uuid4()
    message = created(order_id)
    _provider(system).after_landing[order_id] = _crash
    with pytest.raises(WorkerCrashed):
        system.deliver(message)

    system.deliver(cancelled(order_id), message)

    assert system.payment(order_id).status is PaymentStatus.CANCELLED
    assert not _holds(system, order_id)


@pytest.mark.parametrize(
    ("fault", "raised"),
    [("timing_out", ProviderUnavailable), ("refused", RefundRefused)],
    ids=["timeout", "refusal"],
)
def test_a_refund_that_does_not_go_through_holds_back_only_its_own_cancel_and_the_batch_is_charged(
    fault: str, raised: type[Exception]
) -> None:
    system, paid, fresh = _system(), uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    system.deliver(created(paid))
    getattr(_provider(system), fault).add(paid)
    batch = [cancelled(paid), *(created(order_id) for order_id in fresh)]

    with pytest.raises(raised):  # the bus tries the batch again (or, refused, splits it)
        system.deliver_batch(batch)

    assert [system.payment(order_id).status for order_id in fresh] == [PaymentStatus.APPROVED] * 2
    assert system.payment(paid).status is PaymentStatus.APPROVED
    assert _holds(system, paid)
    getattr(_provider(system), fault).clear()
    system.deliver_batch(batch)
    assert system.payment(paid).status is PaymentStatus.REFUNDED
    assert not _holds(system, paid)
    assert [_holds(system, order_id) for order_id in fresh] == [True, True]
    assert len(_provider(system).taken) == 3  # each payment charged once, the retried batch included
    assert system.sweep_after(DEADLINE_S + 1) == 0


def test_with_the_provider_away_a_batch_stops_after_two_refund_timeouts_and_charges_nothing() -> None:
    system, paid, fresh = _system(), [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()], uuid.uuid4()
    system.deliver(*(created(order_id) for order_id in paid))
    _provider(system).away = True

    with pytest.raises(ProviderUnavailable):
        system.deliver_batch([*(cancelled(order_id) for order_id in paid), created(fresh)])

    assert _provider(system).refund_calls == 3  # the batch's call, then two alone: the provider is away
    assert system.payment(fresh).id not in _provider(system).taken
    assert [_holds(system, order_id) for order_id in paid] == [True, True, True]
