"""The payment state machine: statuses, the one table of allowed transitions, records and errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.contracts import (
    PaymentApproved,
    PaymentCancelled,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentResult,
)


class PaymentStatus(StrEnum):
    """Where a payment is; only PROCESSING and APPROVED can still change."""

    PROCESSING = "PROCESSING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.APPROVED, PaymentStatus.DECLINED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.APPROVED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}

# The event announcing that a payment reached each status.
RESULT_EVENTS: dict[PaymentStatus, type[PaymentResult]] = {
    PaymentStatus.APPROVED: PaymentApproved,
    PaymentStatus.DECLINED: PaymentDeclined,
    PaymentStatus.FAILED: PaymentFailed,
    PaymentStatus.CANCELLED: PaymentCancelled,
    PaymentStatus.REFUNDED: PaymentRefunded,
}

CANCELLED_BEFORE_PAYMENT = "order_cancelled_before_payment"
ORDER_CANCELLED = "order_cancelled"
GATEWAY_TIMEOUT = "gateway_timeout"
LATE_APPROVAL_VOIDED = "late_approval_voided"
# A redelivery after a crash found the payment ended without money: the provider was told to give back.
RELEASED_ON_REDELIVERY = "released_on_redelivery"


class PaymentsError(Exception):
    """Root of every error the payments module raises."""


class UnexpectedEvent(PaymentsError):
    """A handler was handed an event of a type it does not handle (a wiring mistake)."""


@dataclass(frozen=True)
class Payment:
    """The one payment of an order, as the handlers see it."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    status: PaymentStatus
    correlation_id: str


@dataclass(frozen=True)
class Cause:
    """Why a payment changed: the event applied (None for the sweeper's own decisions) and its type."""

    event_type: str
    event_id: uuid.UUID | None = None


SWEEPER = Cause("payments.sweeper")


def can_move(current: str, target: PaymentStatus) -> bool:
    """True when the table allows going from `current` to `target`."""
    return current in TRANSITIONS and target in TRANSITIONS[PaymentStatus(current)]


def sources_of(target: PaymentStatus) -> frozenset[PaymentStatus]:
    """Every status from which `target` may be reached."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)


def result_event(payment: Payment, status: PaymentStatus, reason: str | None) -> PaymentResult:
    """The event announcing that `payment` reached `status`."""
    return RESULT_EVENTS[status](payment.id, payment.order_id, payment.amount, reason)
