"""Delivered events as the bus hands them to a module's batch handler (`Incoming`), built in one line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from app.contracts import (
    Incoming,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
    PaymentFailed,
)

TOTAL = Decimal("19.99")


def created(order_id: uuid.UUID, total: Decimal = TOTAL, correlation_id: str = "") -> Incoming[OrderCreated]:
    event = OrderCreated(order_id=order_id, user_id=uuid.uuid4(), total=total)
    return Incoming(event, uuid.uuid4(), correlation_id or f"corr-{order_id}", datetime.now(UTC))


def cancelled(order_id: uuid.UUID, correlation_id: str = "corr-cancel") -> Incoming[OrderCancelled]:
    return Incoming(OrderCancelled(order_id=order_id), uuid.uuid4(), correlation_id, datetime.now(UTC))


def approved(order_id: uuid.UUID, amount: Decimal = TOTAL) -> Incoming[PaymentApproved]:
    event = PaymentApproved(order_id=order_id, payment_id=uuid.uuid4(), amount=amount)
    return Incoming(event, uuid.uuid4(), f"corr-{order_id}", datetime.now(UTC))


def declined(order_id: uuid.UUID, reason: str = "card_declined") -> Incoming[PaymentDeclined]:
    event = PaymentDeclined(order_id=order_id, payment_id=uuid.uuid4(), amount=TOTAL, reason=reason)
    return Incoming(event, uuid.uuid4(), f"corr-{order_id}", datetime.now(UTC))


def failed(order_id: uuid.UUID, reason: str = "provider_error") -> Incoming[PaymentFailed]:
    event = PaymentFailed(order_id=order_id, payment_id=uuid.uuid4(), amount=TOTAL, reason=reason)
    return Incoming(event, uuid.uuid4(), f"corr-{order_id}", datetime.now(UTC))
