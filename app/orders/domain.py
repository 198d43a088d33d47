"""The order state machine: statuses, allowed transitions, what each event asks for, and batch planning."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.contracts import (
    Event,
    Incoming,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
    PaymentFailed,
    PaymentResult,
)


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

# Every event the orders module handles and the status it asks for: the one list of what orders consumes.
TARGETS: dict[type[Event], OrderStatus] = {
    OrderCreated: OrderStatus.PENDING,
    PaymentApproved: OrderStatus.PAID,
    PaymentDeclined: OrderStatus.FAILED,
    PaymentFailed: OrderStatus.FAILED,
    OrderCancelled: OrderStatus.CANCELLED,
}


def is_cancellable(status: str) -> bool:
    return status in TRANSITIONS and OrderStatus.CANCELLED in TRANSITIONS[OrderStatus(status)]


@dataclass(frozen=True)
class Change:
    """One line of an order's history: from (None when created) to, and the event that caused it."""

    order_id: uuid.UUID
    from_status: OrderStatus | None
    to_status: OrderStatus
    event_id: uuid.UUID
    event_type: str
    reason: str | None


@dataclass
class Plan:
    """What a batch does: orders to create, the final status of every order it changes, its history."""

    created: list[Incoming[OrderCreated]] = field(default_factory=list)
    final: dict[uuid.UUID, OrderStatus] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)


def plan(current: Mapping[uuid.UUID, OrderStatus], batch: Iterable[Incoming[Any]]) -> Plan:
    """Apply the events in delivery order, creations first: a move delivered before its creation finds it."""
    status, result = dict(current), Plan()
    for message in sorted(batch, key=lambda m: not isinstance(m.event, OrderCreated)):
        event, target = message.event, TARGETS[type(message.event)]
        before = status.get(event.order_id)
        if isinstance(event, OrderCreated):
            if before is not None:
                continue
            result.created.append(message)
        elif before is None or target not in TRANSITIONS[before]:
            continue
        status[event.order_id] = target
        reason = event.reason if isinstance(event, PaymentResult) else None
        result.history.append(Change(event.order_id, before, target, message.id, message.type, reason))
    result.final = {order_id: s for order_id, s in status.items() if current.get(order_id) != s}
    return result
