"""Every event the system exchanges (version 1), and the typed form handlers receive them in."""

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, Self, TypeVar

from app.contracts.envelope import Envelope, UnknownEventType, camel, read_field


@dataclass(frozen=True)
class Event:
    """Base of every contract, about one order: `TYPE` is the routing key, `PRODUCER` names its exchange. The
    payload holds the fields under camelCase names as strings; consumers ignore fields they do not know."""

    TYPE: ClassVar[str]
    PRODUCER: ClassVar[str]
    VERSION: ClassVar[int] = 1
    order_id: uuid.UUID

    def to_envelope(self, correlation_id: str) -> Envelope:
        values = {camel(f.name): getattr(self, f.name) for f in fields(self)}
        payload = {key: None if value is None else str(value) for key, value in values.items()}
        return Envelope(uuid.uuid4(), self.TYPE, self.VERSION, datetime.now(UTC), correlation_id, payload)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """The event a payload describes; a missing or malformed field raises ContractError."""
        return cls(**{f.name: read_field(payload, f.name, f.type) for f in fields(cls)})


@dataclass(frozen=True)
class OrderCreated(Event):
    """The gateway accepted an order; its id was generated there."""

    TYPE: ClassVar[str] = "order.created"
    PRODUCER: ClassVar[str] = "gateway"
    user_id: uuid.UUID
    total: Decimal


@dataclass(frozen=True)
class OrderCancelled(Event):
    """The gateway accepted a cancellation of an order."""

    TYPE: ClassVar[str] = "order.cancelled"
    PRODUCER: ClassVar[str] = "gateway"


@dataclass(frozen=True)
class PaymentResult(Event):
    """A payment reached a state the order side may care about; `reason` explains non-approvals."""

    PRODUCER: ClassVar[str] = "payments"
    payment_id: uuid.UUID
    amount: Decimal
    reason: str | None = None


class PaymentApproved(PaymentResult):
    TYPE: ClassVar[str] = "payment.approved"


class PaymentDeclined(PaymentResult):
    TYPE: ClassVar[str] = "payment.declined"


class PaymentFailed(PaymentResult):
    TYPE: ClassVar[str] = "payment.failed"


class PaymentCancelled(PaymentResult):
    TYPE: ClassVar[str] = "payment.cancelled"


class PaymentRefunded(PaymentResult):
    TYPE: ClassVar[str] = "payment.refunded"


def _contracts(base: type[Event]) -> Iterator[type[Event]]:
    """Every subclass with its own TYPE: defining a contract class is all it takes to register it."""
    for kind in base.__subclasses__():
        if "TYPE" in vars(kind):
            yield kind
        yield from _contracts(kind)


EVENT_TYPES: dict[tuple[str, int], type[Event]] = {
    (kind.TYPE, kind.VERSION): kind for kind in _contracts(Event)
}

E_co = TypeVar("E_co", bound=Event, covariant=True)


@dataclass(frozen=True)
class Incoming(Generic[E_co]):
    """One delivered event: the contract itself, its event id, the correlation id it travels with and when
    its producer made it."""

    event: E_co
    id: uuid.UUID
    correlation_id: str
    occurred_at: datetime

    @property
    def type(self) -> str:
        return self.event.TYPE


BatchHandler = Callable[[Sequence[Incoming[Any]]], frozenset[uuid.UUID]]
"""Applies a batch of events in one transaction; returns the ids of those that depend on an event not
applied yet (nothing of theirs was kept; the bus retries them). Raising keeps nothing of the batch."""


def read_message(body: bytes) -> Incoming[Event]:
    """The typed event a message carries; a malformed envelope or payload raises ContractError."""
    envelope = Envelope.from_json(body)
    kind = EVENT_TYPES.get((envelope.type, envelope.version))
    if kind is None:
        raise UnknownEventType(f"unknown event type {envelope.type!r} version {envelope.version}")
    return Incoming(
        kind.from_payload(envelope.payload), envelope.id, envelope.correlation_id, envelope.occurred_at
    )


def exchange_of(event_type: type[Event]) -> str:
    """The topic exchange an event is published to: `<producer>.events`."""
    return f"{event_type.PRODUCER}.events"
