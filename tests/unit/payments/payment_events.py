"""Envelopes the payments tests deliver, and delivery through the real handler table on fakes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.contracts import Envelope, OrderCancelled, OrderCreated
from app.payments import payment_handlers
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState, fake_uow_factory

AMOUNT = Decimal("42.50")


def created(order_id: uuid.UUID) -> Envelope:
    return OrderCreated(order_id, uuid.uuid4(), AMOUNT).to_envelope("corr-create")


def cancelled(order_id: uuid.UUID) -> Envelope:
    return OrderCancelled(order_id).to_envelope("corr-cancel")


def deliver(state: PaymentsState, provider: FakePaymentGateway, *envelopes: Envelope) -> None:
    handlers = payment_handlers(fake_uow_factory(state), provider)
    for envelope in envelopes:
        handlers[envelope.type](envelope)
