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
    Payment,
    PaymentStatus,
    result_event,
)
from app.payments.gateway import ChargeResult, PaymentGateway
from app.payments.lifecycle import cause_of, log, move_and_announce, parse
from app.payments.unit_of_work import PaymentsUnitOfWork

UowFactory = Callable[[], PaymentsUnitOfWork]


def on_order_created(uow_factory: UowFactory, gateway: PaymentGateway, envelope: Envelope) -> None:
    """Open the order's payment, charge it with no transaction open, then record the answer."""
    event = parse(envelope, OrderCreated)
    with log_context(order_id=event.order_id):
        payment = _open_payment(uow_factory, envelope, event)
        if payment is None:
            return
        result = None
        if payment.status is PaymentStatus.PROCESSING:
            result = gateway.charge(payment.id, payment.order_id, payment.amount)
        if result is None:  # settled earlier, or no answer: the sweeper will fail it after the deadline
            _claim(uow_factory, envelope, event.order_id)
            return
        if _settle(uow_factory, envelope, payment, result):
            gateway.refund(payment.id, payment.amount)


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
        if uow.is_claimed(envelope.id):
            return None
        status = PaymentStatus.CANCELLED if uow.has_tombstone(event.order_id) else PaymentStatus.PROCESSING
        fresh = Payment(uuid.uuid4(), event.order_id, event.total, status, envelope.correlation_id)
        reason = CANCELLED_BEFORE_PAYMENT if status is PaymentStatus.CANCELLED else None
        if uow.add_payment(fresh, reason, cause_of(envelope)) and status is PaymentStatus.CANCELLED:
            uow.emit(result_event(fresh, status, reason), envelope.correlation_id)
        if status is PaymentStatus.CANCELLED:
            uow.claim(envelope)
            uow.commit()
            return None
        payment = uow.payment_for_order(event.order_id)
        uow.commit()
        return payment


def _claim(uow_factory: UowFactory, envelope: Envelope, order_id: uuid.UUID) -> None:
    with uow_factory() as uow:
        uow.lock_order(order_id)
        uow.claim(envelope)
        uow.commit()


def _settle(uow_factory: UowFactory, envelope: Envelope, payment: Payment, result: ChargeResult) -> bool:
    """Record the provider's answer; True when money moved on a payment that can no longer take it."""
    with uow_factory() as uow:
        uow.lock_order(payment.order_id)
        if not uow.claim(envelope):
            return False  # a concurrent duplicate recorded the same answer for the same payment id
        cause = cause_of(envelope)
        moved = move_and_announce(
            uow,
            payment,
            result.status,
            reason=result.reason,
            cause=cause,
            correlation_id=envelope.correlation_id,
        )
        voided = not moved and result.status is PaymentStatus.APPROVED and _money_kept_wrongly(uow, payment)
        if voided:
            uow.note(payment, LATE_APPROVAL_VOIDED, cause)
            log.warning("approval of payment %s came too late; refunding it", payment.id)
        uow.commit()
        return voided


def _money_kept_wrongly(uow: PaymentsUnitOfWork, payment: Payment) -> bool:
    """True when the payment ended without keeping money: an approval for it must be given back.

    An APPROVED or REFUNDED payment already accounts for its one charge (the provider is idempotent per
    payment id), so a second approval of the same payment id moved no new money.
    """
    current = uow.payment_for_order(payment.order_id)
    return current is not None and current.status not in {PaymentStatus.APPROVED, PaymentStatus.REFUNDED}
