"""Envelopes the orders tests deliver, and delivery through the real handler table on the fake."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.contracts import Envelope, OrderCancelled, OrderCreated, PaymentApproved, PaymentDeclined
from app.orders import order_handlers
from tests.unit.orders.fake_orders import OrdersState, fake_uow_factory

TOTAL = Decimal("25.00")


def created(order_id: uuid.UUID) -> Envelope:
    return OrderCreated(order_id, uuid.uuid4(), TOTAL).to_envelope("corr-1")


def cancelled(order_id: uuid.UUID) -> Envelope:
    return OrderCancelled(order_id).to_envelope("corr-2")


def approved(order_id: uuid.UUID) -> Envelope:
    return PaymentApproved(uuid.uuid4(), order_id, TOTAL).to_envelope("corr-1")


def declined(order_id: uuid.UUID, reason: str = "card_declined") -> Envelope:
    return PaymentDeclined(uuid.uuid4(), order_id, TOTAL, reason).to_envelope("corr-1")


def apply(state: OrdersState, *envelopes: Envelope) -> None:
    handlers = order_handlers(fake_uow_factory(state))
    for envelope in envelopes:
        handlers[envelope.type](envelope)
