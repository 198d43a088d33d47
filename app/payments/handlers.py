"""The payments handler: open payments in a transaction, call the provider outside it, record answers."""

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app.contracts import Incoming
from app.payments.decisions import Call, Step, open_payments, settle
from app.payments.domain import Payment
from app.payments.ledger import Ledger
from app.payments.provider import ChargeResult, PaymentProvider
from app.payments.unit_of_work import PaymentsUnitOfWork

UowFactory = Callable[[], PaymentsUnitOfWork]


def apply_batch(
    uow_factory: UowFactory, provider: PaymentProvider, batch: Sequence[Incoming[Any]]
) -> frozenset[uuid.UUID]:
    """Apply order.created and order.cancelled events; an event is claimed only once the provider did
    what it needed (a crash in between redelivers it, and every provider call is idempotent per payment)."""
    steps = in_transaction(uow_factory, batch, functools.partial(open_payments, batch=batch))
    while steps:  # at most twice: a late approval needs one more refund
        answered = call(provider, steps)
        waiting = [step.message for step in steps]
        steps = in_transaction(uow_factory, waiting, functools.partial(settle, answered=answered))
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


def call(provider: PaymentProvider, steps: Sequence[Step]) -> list[tuple[Step, ChargeResult | None]]:
    """The provider calls the steps wait for, each payment once: the batch's refunds (idempotent, a no-op
    with nothing taken) first, then its charges; each step with its charge's answer (None: unanswered)."""
    if refunds := _distinct(step.payment for step in steps if step.call is not Call.CHARGE):
        provider.refund(refunds)
    charges = _distinct(step.payment for step in steps if step.call is Call.CHARGE)
    answers = provider.charge(charges) if charges else {}
    return [(step, answers.get(step.payment.id) if step.call is Call.CHARGE else None) for step in steps]


def _distinct(payments: Iterable[Payment]) -> list[Payment]:
    return list({payment.id: payment for payment in payments}.values())
