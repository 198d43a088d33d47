"""Every event the system exchanges, version 1; consumers ignore payload fields they do not know."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self

from app.contracts.envelope import Envelope, new_envelope
from app.contracts.errors import ContractError, UnknownEventType

MAX_AMOUNT = Decimal("1000000.00")


@dataclass(frozen=True)
class Event:
    """Base of every contract: `TYPE` is the routing key, `VERSION` the payload shape."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def to_payload(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        raise NotImplementedError

    def to_envelope(self, correlation_id: str) -> Envelope:
        return new_envelope(self.TYPE, self.VERSION, self.to_payload(), correlation_id)


@dataclass(frozen=True)
class OrderCreated(Event):
    """The gateway accepted an order; its id was generated there."""

    TYPE: ClassVar[str] = "order.created"
    order_id: uuid.UUID
    user_id: uuid.UUID
    total: Decimal

    def to_payload(self) -> dict[str, Any]:
        return {"orderId": str(self.order_id), "userId": str(self.user_id), "total": str(self.total)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls(_uuid(payload, "orderId"), _uuid(payload, "userId"), _amount(payload, "total"))


@dataclass(frozen=True)
class OrderCancelled(Event):
    """The gateway accepted a cancellation of an order."""

    TYPE: ClassVar[str] = "order.cancelled"
    order_id: uuid.UUID

    def to_payload(self) -> dict[str, Any]:
        return {"orderId": str(self.order_id)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls(_uuid(payload, "orderId"))


@dataclass(frozen=True)
class PaymentResult(Event):
    """A payment reached a state the order side may care about; `reason` explains non-approvals."""

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    reason: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "paymentId": str(self.payment_id),
            "orderId": str(self.order_id),
            "amount": str(self.amount),
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        reason = payload.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ContractError("payload field 'reason' must be a string or null")
        return cls(_uuid(payload, "paymentId"), _uuid(payload, "orderId"), _amount(payload, "amount"), reason)


@dataclass(frozen=True)
class PaymentApproved(PaymentResult):
    TYPE: ClassVar[str] = "payment.approved"


@dataclass(frozen=True)
class PaymentDeclined(PaymentResult):
    TYPE: ClassVar[str] = "payment.declined"


@dataclass(frozen=True)
class PaymentFailed(PaymentResult):
    TYPE: ClassVar[str] = "payment.failed"


@dataclass(frozen=True)
class PaymentCancelled(PaymentResult):
    TYPE: ClassVar[str] = "payment.cancelled"


@dataclass(frozen=True)
class PaymentRefunded(PaymentResult):
    TYPE: ClassVar[str] = "payment.refunded"


EVENT_TYPES: dict[tuple[str, int], type[Event]] = {
    (cls.TYPE, cls.VERSION): cls
    for cls in (
        OrderCreated,
        OrderCancelled,
        PaymentApproved,
        PaymentDeclined,
        PaymentFailed,
        PaymentCancelled,
        PaymentRefunded,
    )
}


def parse_event(envelope: Envelope) -> Event:
    """The typed event an envelope carries; unknown types and bad payloads raise ContractError."""
    cls = EVENT_TYPES.get((envelope.type, envelope.version))
    if cls is None:
        raise UnknownEventType(f"unknown event type {envelope.type!r} version {envelope.version}")
    return cls.from_payload(envelope.payload)


def _uuid(payload: dict[str, Any], name: str) -> uuid.UUID:
    value = payload.get(name)
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    raise ContractError(f"payload field {name!r} must be a UUID string")


def _amount(payload: dict[str, Any], name: str) -> Decimal:
    value = payload.get(name)
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or not 0 < amount <= MAX_AMOUNT
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise ContractError(
            f"payload field {name!r} must be a decimal string with 2 places, > 0 and <= {MAX_AMOUNT}"
        )
    return amount.quantize(Decimal("0.01"))
