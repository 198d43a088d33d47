"""Orders event handlers: each applies one event in one transaction, at most once."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from app.contracts import (
    Envelope,
    Event,
    EventHandler,
    NotYetApplicable,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
    PaymentFailed,
    PaymentResult,
    parse_event,
)
from app.logs import log_context
from app.orders.domain import OrderStatus, UnexpectedEvent, can_move
from app.orders.unit_of_work import OrdersUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], OrdersUnitOfWork]
E = TypeVar("E", bound=Event)


def on_order_created(uow_factory: UowFactory, envelope: Envelope) -> None:
    """Store the order as PENDING unless it already exists."""
    event = _parse(envelope, OrderCreated)
    with log_context(order_id=event.order_id), uow_factory() as uow:
        applied = uow.add_order(event.order_id, event.user_id, event.total, envelope)
        if not applied.claimed:
            return  # a duplicate: leaving without a commit undoes everything the statement did
        if applied.changed:
            log.debug("order stored as PENDING")
        uow.commit()


def on_order_cancelled(uow_factory: UowFactory, envelope: Envelope) -> None:
    """Cancel a PENDING or PAID order."""
    event = _parse(envelope, OrderCancelled)
    _move(uow_factory, envelope, event.order_id, OrderStatus.CANCELLED, None)


def on_payment_approved(uow_factory: UowFactory, envelope: Envelope) -> None:
    """Mark a PENDING order PAID."""
    event = _parse(envelope, PaymentApproved)
    _move(uow_factory, envelope, event.order_id, OrderStatus.PAID, None)


def on_payment_rejected(uow_factory: UowFactory, envelope: Envelope) -> None:
    """Mark a PENDING order FAILED after a declined or failed payment, keeping the payment's reason."""
    event = _parse(envelope, PaymentResult)
    _move(uow_factory, envelope, event.order_id, OrderStatus.FAILED, event.reason)


def order_handlers(uow_factory: UowFactory) -> dict[str, EventHandler]:
    """The handler for each event type the orders module consumes."""
    routes: dict[str, Callable[[UowFactory, Envelope], None]] = {
        OrderCreated.TYPE: on_order_created,
        OrderCancelled.TYPE: on_order_cancelled,
        PaymentApproved.TYPE: on_payment_approved,
        PaymentDeclined.TYPE: on_payment_rejected,
        PaymentFailed.TYPE: on_payment_rejected,
    }
    return {event_type: functools.partial(handler, uow_factory) for event_type, handler in routes.items()}


def _move(
    uow_factory: UowFactory, envelope: Envelope, order_id: uuid.UUID, target: OrderStatus, reason: str | None
) -> None:
    with log_context(order_id=order_id), uow_factory() as uow:
        applied = uow.move_order(order_id, target, envelope, reason)
        status = applied.status
        if status is None or (applied.claimed and not applied.changed and can_move(status, target)):
            # Not stored yet (or stored by a transaction that committed after this statement began):
            # nothing may stay claimed for it, so the redelivered event is applied later instead of
            # being acknowledged without effect.
            raise NotYetApplicable(f"order {order_id} is not stored yet")
        if not applied.claimed:
            return  # a duplicate: it changed nothing (leaving without a commit undoes any change)
        if applied.changed:
            log.debug("order moved to %s", target.value)
        uow.commit()


def _parse(envelope: Envelope, expected: type[E]) -> E:
    event = parse_event(envelope)
    if not isinstance(event, expected):
        raise UnexpectedEvent(f"{envelope.type} is not a {expected.__name__}")
    return event
