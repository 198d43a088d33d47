"""Versioned event contracts and the envelope every message travels in; plain data, importable by anyone."""

from app.contracts.envelope import (
    MAX_AMOUNT,
    ContractError,
    Envelope,
    NotYetApplicable,
    UnknownEventType,
)
from app.contracts.events import (
    EVENT_TYPES,
    BatchHandler,
    Event,
    Incoming,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentCancelled,
    PaymentDeclined,
    PaymentFailed,
    PaymentRefunded,
    PaymentResult,
    exchange_of,
    read_message,
)
