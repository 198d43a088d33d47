"""The payments handler: open payments in a transaction, call the provider outside it, record answers."""

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app.contracts import Incoming
from app.payments.decisions import Call, Step, open_payments, settle
from app.payments.domain import Payment
from app.payments.ledger import Ledger
from app.payments.provider import (
    AWAY_AFTER,
    ChargeResult,
    PaymentProvider,
    ProviderUnavailable,
    give_back,
    weightier,
)
from app.payments.unit_of_work import PaymentsUnitOfWork

UowFactory = Callable[[], PaymentsUnitOfWork]


def apply_batch(
    uow_factory: UowFactory, provider: PaymentProvider, batch: Sequence[Incoming[Any]]
) -> frozenset[uuid.UUID]:
    """Apply order.created and order.cancelled events; an event is claimed only once the provider did
    what it needed (a crash in between redelivers it, and every provider call is idempotent per payment).
    A refund that did not go through holds back only its own event: the rest are applied, then its
    failure is raised, so the bus tries the batch again and the events already claimed are skipped."""
    steps = in_transaction(uow_factory, batch, functools.partial(open_payments, batch=batch))
    failure: Exception | None = None
    while steps:  # at most twice: a late approval needs one more refund
        answered, failed = call(provider, steps)
        failure = weightier(failure, failed)
        waiting = [step.message for step, _ in answered]
        steps = in_transaction(uow_factory, waiting, functools.partial(settle, answered=answered))
    if failure is not None:
        raise failure
    return frozenset()  # payments never waits for another event


def in_transaction(
    uow_factory: UowFactory, batch: Sequence[Incoming[Any]], decide: Callable[[Ledger], list[Step]]
) -> list[Step]:
    with uow_factory() as uow:
        ledger = uow.read([message.event.order_id for message in batch], [message.id for message in batch])
        steps = decide(ledger)
        uow.save(ledger)
        uow.commit()
    return steps


def call(
    provider: PaymentProvider, steps: Sequence[Step]
) -> tuple[list[tuple[Step, ChargeResult | None]], Exception | None]:
    """The provider calls the steps wait for, each payment once: the batch's refunds (idempotent, a no-op
    with nothing taken) first, then its charges; each step with its charge's answer (None: unanswered),
    leaving out the steps whose refund did not go through, and why it did not."""
    refunds = _distinct(step.payment for step in steps if step.call is not Call.CHARGE)
    given, failure = give_back(provider, refunds) if refunds else ([], None)
    if isinstance(failure, ProviderUnavailable) and len(refunds) - len(given) >= AWAY_AFTER:
        raise failure  # the provider is away: no charge would get through either
    # A payment whose refund did not go through is not charged either: its events wait together.
    held = {payment.id for payment in refunds} - {payment.id for payment in given}
    ready = [step for step in steps if step.payment.id not in held]
    charges = _distinct(step.payment for step in ready if step.call is Call.CHARGE)
    answers = provider.charge(charges) if charges else {}
    return [
        (step, answers.get(step.payment.id) if step.call is Call.CHARGE else None) for step in ready
    ], failure


def _distinct(payments: Iterable[Payment]) -> list[Payment]:
    return list({payment.id: payment for payment in payments}.values())
