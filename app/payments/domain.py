"""The payment state machine: statuses, the one table of allowed transitions, reasons and records."""

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Self

from app.contracts import (
    PaymentApproved,
    PaymentCancelled,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentResult,
)


class PaymentStatus(StrEnum):
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
# Statuses that keep no money: an approval the provider gave such a payment must be given back.
WITHOUT_MONEY = frozenset({PaymentStatus.CANCELLED, PaymentStatus.FAILED})

CANCELLED_BEFORE_PAYMENT = "order_cancelled_before_payment"  # no charge was ever asked for it
ORDER_CANCELLED = "order_cancelled"
PROVIDER_TIMEOUT = "provider_timeout"
RELEASED_AFTER_TIMEOUT = "released_after_timeout"  # the sweeper gave back what a timed-out payment held
LATE_APPROVAL_VOIDED = "late_approval_voided"
# A charge went unanswered while its payment ended without money: the provider was told to give back.
UNANSWERED_CHARGE_RELEASED = "unanswered_charge_released"
# A redelivery after a crash found the payment ended without money: the provider was told to give back.
RELEASED_ON_REDELIVERY = "released_on_redelivery"
SWEEPER = "payments.sweeper"  # the cause recorded for the sweeper's own decisions


@dataclass(frozen=True)
class Payment:
    """The one payment of an order; `reason` explains its latest status when that needs explaining."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    status: PaymentStatus
    reason: str | None
    correlation_id: str

    def moved(self, status: PaymentStatus, reason: str | None) -> Self:
        return replace(self, status=status, reason=reason)

    def can_move(self, target: PaymentStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def result(self) -> PaymentResult:
        """The event announcing the status the payment has just reached."""
        kind = RESULT_EVENTS[self.status]
        return kind(order_id=self.order_id, payment_id=self.id, amount=self.amount, reason=self.reason)


class PaymentsError(Exception):
    """Root of every error the payments module raises."""


class ConcurrentChange(PaymentsError):
    """A payment changed under a transaction that held its order's lock: a bug, never expected."""
