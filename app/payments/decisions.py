"""The payments rules, on a ledger: what each event does before and after the provider is called."""

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.contracts import Event, Incoming, OrderCancelled, OrderCreated
from app.payments.domain import (
    CANCELLED_BEFORE_PAYMENT,
    LATE_APPROVAL_VOIDED,
    ORDER_CANCELLED,
    RELEASED_ON_REDELIVERY,
    UNANSWERED_CHARGE_RELEASED,
    WITHOUT_MONEY,
    Payment,
    PaymentStatus,
)
from app.payments.ledger import Book, Cause, Ledger
from app.payments.provider import ChargeResult

log = logging.getLogger("app.payments")

# A payment in one of these statuses accounts for the one charge its id can take (refunds give it back).
ACCOUNTS_FOR_CHARGE = frozenset({PaymentStatus.APPROVED, PaymentStatus.REFUNDED})
# Statuses whose payment is handed to the provider's refund when its order is cancelled.
GIVEN_BACK_ON_CANCEL = frozenset({PaymentStatus.PROCESSING, PaymentStatus.APPROVED, PaymentStatus.CANCELLED})


class Call(enum.Enum):
    """What an event needs from the provider, with no transaction open, before it can be claimed."""

    CHARGE = "charge"  # then record the answer
    RELEASE = "release"  # refund a payment that ended without money; then note it
    GIVE_BACK = "give_back"  # refund on cancel; the payment is already CANCELLED (or was)
    REFUND = "refund"  # refund on cancel; then APPROVED -> REFUNDED
    VOID = "void"  # refund an approval that came too late; then note it
    UNANSWERED = "unanswered"  # refund a charge nobody answered whose payment ended without money; note it


NOTES = {
    Call.RELEASE: RELEASED_ON_REDELIVERY,
    Call.VOID: LATE_APPROVAL_VOIDED,
    Call.UNANSWERED: UNANSWERED_CHARGE_RELEASED,
}


@dataclass(frozen=True)
class Step:
    """One event waiting on one provider call about its order's payment."""

    call: Call
    message: Incoming[Any]
    payment: Payment


def open_payments(ledger: Ledger, batch: Sequence[Incoming[Any]]) -> list[Step]:
    """Apply what can be applied now, in delivery order; the provider calls the rest waits for."""
    steps = []
    for message in batch:  # one claimed before is a duplicate, unless it must release again (see Book)
        book = ledger.book(message.event.order_id)
        again = isinstance(message.event, OrderCreated) and book.ended_after_a_charge
        if message.id not in ledger.claimed or again:
            steps.append(RULES[type(message.event)](ledger, book, message))
    still = (_still_to_charge(ledger, step) for step in steps if step is not None)
    return [step for step in still if step is not None]


def settle(ledger: Ledger, answered: Sequence[tuple[Step, ChargeResult | None]]) -> list[Step]:
    """Record what the provider did and claim the events; the charges still to be given back. An event a
    concurrent delivery claimed meanwhile still has its answer recorded (it may be the only one)."""
    voids = []
    for step, answer in answered:
        void = _settle_one(ledger, step, answer)
        if void is not None:
            voids.append(void)
        elif step.message.id not in ledger.claimed:
            ledger.claim(step.message)
    return voids


def _settle_one(ledger: Ledger, step: Step, answer: ChargeResult | None) -> Step | None:
    """Record what the provider did. An approval, or no answer (it may have landed), for a payment that
    ended without money meanwhile (cancelled, failed by the sweeper) is given back before the claim."""
    payment = ledger.book(step.payment.order_id).payment or step.payment
    cause = Cause.of(step.message)
    if step.call is Call.REFUND:
        ledger.move(payment, PaymentStatus.REFUNDED, ORDER_CANCELLED, cause)
    elif step.call in NOTES:
        ledger.note(payment, NOTES[step.call], cause)
    elif step.call is Call.CHARGE and answer is None and payment.status in WITHOUT_MONEY:
        return Step(Call.UNANSWERED, step.message, payment)
    elif step.call is Call.CHARGE and answer is not None:  # unanswered: PROCESSING until the sweeper
        moved = ledger.move(payment, answer.status, answer.reason, cause)
        unwanted = answer.status is PaymentStatus.APPROVED and payment.status not in ACCOUNTS_FOR_CHARGE
        if unwanted and not moved:
            log.warning("approval of payment %s came too late; refunding it", payment.id)
            return Step(Call.VOID, step.message, payment)
    return None


def _created(ledger: Ledger, book: Book, message: Incoming[OrderCreated]) -> Step | None:
    payment, event, cause = book.payment, message.event, Cause.of(message)
    if payment is None and book.cancelled:  # cancelled first: born CANCELLED, never charged
        ledger.open(event.order_id, event.total, PaymentStatus.CANCELLED, CANCELLED_BEFORE_PAYMENT, cause)
    elif payment is None:
        opened = ledger.open(event.order_id, event.total, PaymentStatus.PROCESSING, None, cause)
        return Step(Call.CHARGE, message, opened)
    elif payment.status is PaymentStatus.PROCESSING:  # a redelivery charges the same payment id again
        return Step(Call.CHARGE, message, payment)
    elif book.ended_after_a_charge:  # ended while a crashed delivery may have charged it
        return Step(Call.RELEASE, message, payment)
    ledger.claim(message)
    return None


def _cancelled(ledger: Ledger, book: Book, message: Incoming[Any]) -> Step | None:
    """Tombstone the order; cancel a PROCESSING payment (before payment, if this transaction opened it: never
    charged), refund an APPROVED one. A cancelled payment is given back at the provider too: a worker may
    have died after a charge was approved, unrecorded."""
    ledger.tombstone(message)
    payment = book.payment
    if payment is None or payment.status not in GIVEN_BACK_ON_CANCEL:
        ledger.claim(message)
        return None
    if payment.status is PaymentStatus.APPROVED:
        return Step(Call.REFUND, message, payment)
    reason = CANCELLED_BEFORE_PAYMENT if payment.id in ledger.opened else ORDER_CANCELLED
    ledger.move(payment, PaymentStatus.CANCELLED, reason, Cause.of(message))
    return Step(Call.GIVE_BACK, message, payment)


# What each event the payments module handles does before the provider is called: all payments consumes.
RULES: dict[type[Event], Callable[[Ledger, Book, Incoming[Any]], Step | None]] = {
    OrderCreated: _created,
    OrderCancelled: _cancelled,
}


def _still_to_charge(ledger: Ledger, step: Step) -> Step | None:
    """A charge whose payment a later event of the batch cancelled: never charged if it was opened now
    (claimed at once), else released like any payment that ended while a charge may have been taken."""
    current = ledger.book(step.payment.order_id).payment
    if step.call is not Call.CHARGE or current is None or current.status is PaymentStatus.PROCESSING:
        return step
    if current.id in ledger.opened:
        ledger.claim(step.message)
        return None
    return Step(Call.RELEASE, step.message, current)
