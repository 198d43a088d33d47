"""Payments event handlers: on order.created charge once per order; the handler table for the bus."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from app.contracts import Envelope, EventHandler, OrderCancelled, OrderCreated
from app.logs import log_context
from app.payments.cancellation import on_order_cancelled
from app.payments.domain import (
    CANCELLED_BEFORE_PAYMENT,
    LATE_APPROVAL_VOIDED,
    RELEASED_ON_REDELIVERY,
    Payment,
    PaymentStatus,
    result_event,
)
from app.payments.gateway import ChargeResult, PaymentGateway
from app.payments.lifecycle import announce, cause_of, log, parse
from app.payments.unit_of_work import PaymentsUnitOfWork

UowFactory = Callable[[], PaymentsUnitOfWork]
# Payments that ended without keeping money: an approval the provider gave them must be given back.
ENDED_WITHOUT_MONEY = frozenset({PaymentStatus.CANCELLED, PaymentStatus.FAILED})


def on_order_created(uow_factory: UowFactory, gateway: PaymentGateway, envelope: Envelope) -> None:
    """Open the order's payment, charge it with no transaction open, then record the answer."""
    event = parse(envelope, OrderCreated)
    with log_context(order_id=event.order_id):
        payment = _open_payment(uow_factory, envelope, event)
        if payment is None:
            return
        # A redelivery after a crash may find the payment already cancelled or timed out while the
        # provider had approved it: whatever it took for this payment id is given back before the claim.
        note = RELEASED_ON_REDELIVERY if payment.status in ENDED_WITHOUT_MONEY else None
        if payment.status is PaymentStatus.PROCESSING:
            result = gateway.charge(payment.id, payment.order_id, payment.amount)
            # No answer: the sweeper fails it after the deadline. Recorded or duplicate: done here.
            if result is not None and not _settle(uow_factory, envelope, payment, result):
                return
            note = None if result is None else LATE_APPROVAL_VOIDED
        if note is not None:
            gateway.refund(payment.id, payment.amount)
        _claim(uow_factory, envelope, payment, note)


def payment_handlers(uow_factory: UowFactory, gateway: PaymentGateway) -> dict[str, EventHandler]:
    """The handler for each event type the payments module consumes."""
    return {
        OrderCreated.TYPE: functools.partial(on_order_created, uow_factory, gateway),
        OrderCancelled.TYPE: functools.partial(on_order_cancelled, uow_factory, gateway),
    }


def _open_payment(uow_factory: UowFactory, envelope: Envelope, event: OrderCreated) -> Payment | None:
    """The order's payment to charge, or None when the event needs nothing more."""
    with uow_factory() as uow:
        uow.lock_order(event.order_id)
        known = uow.read_order(event.order_id, envelope.id)
        if known.event_claimed:
            return None
        if known.cancelled and known.payment is None:
            _cancel_before_payment(uow, envelope, event)
            return None
        payment = known.payment
        if payment is None:  # the first delivery: open it (a redelivery charges the same payment again)
            fresh = Payment(
                uuid.uuid4(), event.order_id, event.total, PaymentStatus.PROCESSING, envelope.correlation_id
            )
            stored = uow.add_payment(fresh, None, cause_of(envelope))
            payment = fresh if stored else uow.payment_for_order(event.order_id)
        uow.commit()
        return payment


def _cancel_before_payment(uow: PaymentsUnitOfWork, envelope: Envelope, event: OrderCreated) -> None:
    """The order was cancelled first: store its payment as CANCELLED, never charged; claim, commit."""
    status, reason = PaymentStatus.CANCELLED, CANCELLED_BEFORE_PAYMENT
    fresh = Payment(uuid.uuid4(), event.order_id, event.total, status, envelope.correlation_id)
    if uow.add_payment(fresh, reason, cause_of(envelope)):
        uow.emit(result_event(fresh, status, reason), envelope.correlation_id)
    uow.claim(envelope)
    uow.commit()


def _claim(uow_factory: UowFactory, envelope: Envelope, payment: Payment, note: str | None) -> None:
    """Record the event as handled; a give-back to the provider is noted in the payment's history."""
    with uow_factory() as uow:
        uow.lock_order(payment.order_id)
        if uow.claim(envelope) and note is not None:
            uow.note(payment, note, cause_of(envelope))
        uow.commit()


def _settle(uow_factory: UowFactory, envelope: Envelope, payment: Payment, result: ChargeResult) -> bool:
    """Record the provider's answer and claim the event; True (nothing recorded) when money moved on a
    payment that can no longer take it and must be given back first."""
    with uow_factory() as uow:
        uow.lock_order(payment.order_id)
        cause = cause_of(envelope)
        applied = uow.claim_and_move(payment, result.status, result.reason, cause)
        if not applied.claimed:
            return False  # a duplicate recorded the same answer for the same payment id; rolled back
        if applied.moved:
            announce(
                uow, payment, result.status, reason=result.reason, correlation_id=envelope.correlation_id
            )
        late = not applied.moved and result.status is PaymentStatus.APPROVED
        if late and _money_kept_wrongly(uow, payment):
            # Rolled back, claim included: the event is claimed only once the money was given back.
            log.warning("approval of payment %s came too late; refunding it", payment.id)
            return True
        uow.commit()
        return False


def _money_kept_wrongly(uow: PaymentsUnitOfWork, payment: Payment) -> bool:
    """True when the payment ended without keeping money: an approval for it must be given back.

    An APPROVED or REFUNDED payment already accounts for its one charge (the provider is idempotent per
    payment id), so a second approval of the same payment id moved no new money.
    """
    current = uow.payment_for_order(payment.order_id)
    return current is not None and current.status not in {PaymentStatus.APPROVED, PaymentStatus.REFUNDED}
