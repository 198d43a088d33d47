"""The order state machine: statuses, the one table of allowed transitions, and the module's errors."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life; FAILED and CANCELLED are terminal."""

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


class OrdersError(Exception):
    """Root of every error the orders module raises."""


class UnexpectedEvent(OrdersError):
    """A handler was handed an event of a type it does not handle (a wiring mistake)."""


def can_move(current: str, target: OrderStatus) -> bool:
    """True when the table allows going from `current` to `target`."""
    return current in TRANSITIONS and target in TRANSITIONS[OrderStatus(current)]


def sources_of(target: OrderStatus) -> frozenset[OrderStatus]:
    """Every status from which `target` may be reached."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)


def is_cancellable(status: str) -> bool:
    """True when an order in `status` may still be cancelled."""
    return can_move(status, OrderStatus.CANCELLED)
