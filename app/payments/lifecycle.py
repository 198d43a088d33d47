"""Steps every payments handler shares: reading its event, and moving a payment while announcing it."""

from __future__ import annotations

import logging
from typing import TypeVar

from app.contracts import Envelope, Event, parse_event
from app.payments.domain import Cause, Payment, PaymentStatus, UnexpectedEvent, result_event
from app.payments.unit_of_work import PaymentsUnitOfWork

log = logging.getLogger("app.payments")

E = TypeVar("E", bound=Event)


def parse(envelope: Envelope, expected: type[E]) -> E:
    """The envelope's event, which must be of the handler's type."""
    event = parse_event(envelope)
    if not isinstance(event, expected):
        raise UnexpectedEvent(f"{envelope.type} is not a {expected.__name__}")
    return event


def cause_of(envelope: Envelope) -> Cause:
    """The history cause recorded for changes an incoming event makes."""
    return Cause(envelope.type, envelope.id)


def move_and_announce(
    uow: PaymentsUnitOfWork,
    payment: Payment,
    target: PaymentStatus,
    *,
    reason: str | None,
    cause: Cause,
    correlation_id: str,
) -> bool:
    """Move the payment if the transitions table allows it now and emit the matching event; True if moved."""
    if not uow.move_payment(payment, target, reason, cause):
        return False
    announce(uow, payment, target, reason=reason, correlation_id=correlation_id)
    return True


def announce(
    uow: PaymentsUnitOfWork,
    payment: Payment,
    target: PaymentStatus,
    *,
    reason: str | None,
    correlation_id: str,
) -> None:
    """Emit the event saying that the payment has just moved to `target`."""
    uow.emit(result_event(payment, target, reason), correlation_id)
    log.debug("payment %s moved to %s (%s)", payment.id, target.value, reason or "-")
