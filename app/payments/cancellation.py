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
# Statuses whose payment is handed to the provider's refund when its order is cancelled.
_GIVE_BACK = {PaymentStatus.PROCESSING, PaymentStatus.APPROVED, PaymentStatus.CANCELLED}


def on_order_cancelled(uow_factory: UowFactory, gateway: PaymentGateway, envelope: Envelope) -> None:
    """Tombstone the order; cancel its PROCESSING payment or refund its APPROVED one.

    A cancelled payment is also given back at the provider: if a worker died after the provider
    approved the charge but before recording it, that money would otherwise stay taken. The provider's
    refund is idempotent per payment id and a no-op when nothing was taken.
    """
    event = parse(envelope, OrderCancelled)
    with log_context(order_id=event.order_id):
        to_give_back = _cancel(uow_factory, envelope, event)
        if to_give_back is None:
            return
        # The provider is called with no transaction open; the claim waits until it has answered.
        gateway.refund(to_give_back.id, to_give_back.amount)
        _record_refund(uow_factory, envelope, to_give_back)


def _cancel(uow_factory: UowFactory, envelope: Envelope, event: OrderCancelled) -> Payment | None:
    """The payment to give back at the provider, or None when the cancellation is fully applied."""
    with uow_factory() as uow:
        uow.lock_order(event.order_id)
        known = uow.read_order(event.order_id, envelope.id)
        if known.event_claimed:
            return None
        uow.add_tombstone(event.order_id, envelope.id)
        payment = known.payment
        if payment is not None and payment.status is PaymentStatus.PROCESSING:
            move_and_announce(
                uow,
                payment,
                PaymentStatus.CANCELLED,
                reason=ORDER_CANCELLED,
                cause=cause_of(envelope),
                correlation_id=envelope.correlation_id,
            )
        if payment is not None and payment.status in _GIVE_BACK:
            uow.commit()  # the claim waits until the provider has given the money back
            return payment
        uow.claim(envelope)
        uow.commit()
        return None


def _record_refund(uow_factory: UowFactory, envelope: Envelope, payment: Payment) -> None:
    """Claim the event; an APPROVED payment (as read before the refund) also moves to REFUNDED."""
    with uow_factory() as uow:
        uow.lock_order(payment.order_id)
        if not uow.claim(envelope) or payment.status is not PaymentStatus.APPROVED:
            uow.commit()
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
