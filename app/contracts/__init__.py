"""Versioned event contracts and the envelope every message travels in; plain data, importable by anyone."""

from app.contracts.envelope import Envelope, EventHandler, new_envelope
from app.contracts.errors import ContractError, NotYetApplicable, UnknownEventType
from app.contracts.events import (
    EVENT_TYPES,
    Event,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentCancelled,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentResult,
    parse_event,
)

__all__ = [
    "EVENT_TYPES",
    "ContractError",
    "Envelope",
    "Event",
    "EventHandler",
    "NotYetApplicable",
    "OrderCancelled",
    "OrderCreated",
    "PaymentApproved",
    "PaymentCancelled",
    "PaymentDeclined",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentResult",
    "UnknownEventType",
    "new_envelope",
    "parse_event",
]
