"""on order.cancelled: cancel a payment still processing, or refund an approved one."""

from __future__ import annotations

from collections.abc import Callable

from app.contracts import Envelope, OrderCancelled
from app.logs import log_context
from app.payments.domain import ORDER_CANCELLED, Payment, PaymentStatus
from app.payments.gateway import PaymentGateway
from app.payments.lifecycle import cause_of, move_and_announce, parse
from app.payments.unit_of_work import PaymentsUnitOfWork

UowFactory = Callable[[], PaymentsUnitOfWork]


def on_order_cancelled(uow_factory: UowFactory, gateway: PaymentGateway, envelope: Envelope) -> None:
    """Tombstone the order; cancel its PROCESSING payment or refund its APPROVED one."""
    event = parse(envelope, OrderCancelled)
    with log_context(order_id=event.order_id):
        to_refund = _cancel(uow_factory, envelope, event)
        if to_refund is None:
            return
        # The provider is called with no transaction open; refunds are idempotent per payment id.
        gateway.refund(to_refund.id, to_refund.amount)
        _record_refund(uow_factory, envelope, to_refund)


def _cancel(uow_factory: UowFactory, envelope: Envelope, event: OrderCancelled) -> Payment | None:
    """The approved payment still to refund, or None when the cancellation is fully applied."""
    with uow_factory() as uow:
        uow.lock_order(event.order_id)
        if uow.is_claimed(envelope.id):
            return None
        uow.add_tombstone(event.order_id, envelope.id)
        payment = uow.payment_for_order(event.order_id)
        if payment is not None and payment.status is PaymentStatus.APPROVED:
            uow.commit()  # the tombstone only: the claim waits until the refund is recorded
            return payment
        if payment is not None and payment.status is PaymentStatus.PROCESSING:
            cause = cause_of(envelope)
            move_and_announce(
                uow,
                payment,
                PaymentStatus.CANCELLED,
                reason=ORDER_CANCELLED,
                cause=cause,
                correlation_id=envelope.correlation_id,
            )
        uow.claim(envelope)
        uow.commit()
        return None


def _record_refund(uow_factory: UowFactory, envelope: Envelope, payment: Payment) -> None:
    with uow_factory() as uow:
        uow.lock_order(payment.order_id)
        if not uow.claim(envelope):
            return
        cause = cause_of(envelope)
        move_and_announce(
            uow,
            payment,
            PaymentStatus.REFUNDED,
            reason=ORDER_CANCELLED,
            cause=cause,
            correlation_id=envelope.correlation_id,
        )
        uow.commit()
