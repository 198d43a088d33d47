"""Events the orders tests deliver, and the orders module built on the fake unit of work."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine

from app import orders
from app.contracts import (
    Event,
    Incoming,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
    PaymentFailed,
)
from app.orders import OrderStatus
from tests.unit.orders.fake_orders import FakeOrdersUnitOfWork, OrdersState

TOTAL = Decimal("25.00")


def incoming(event: Event, correlation_id: str = "corr-1") -> Incoming[Any]:
    """The event as the bus hands it over, with an event id of its own."""
    return Incoming(event, uuid.uuid4(), correlation_id, datetime.now(UTC))


def created(order_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Incoming[OrderCreated]:
    return incoming(OrderCreated(order_id, user_id or uuid.uuid4(), TOTAL))


def cancelled(order_id: uuid.UUID) -> Incoming[OrderCancelled]:
    return incoming(OrderCancelled(order_id), "corr-2")


def approved(order_id: uuid.UUID) -> Incoming[PaymentApproved]:
    return incoming(PaymentApproved(order_id, uuid.uuid4(), TOTAL))


def declined(order_id: uuid.UUID, reason: str = "card_declined") -> Incoming[PaymentDeclined]:
    return incoming(PaymentDeclined(order_id, uuid.uuid4(), TOTAL, reason))


def failed(order_id: uuid.UUID, reason: str = "provider_error") -> Incoming[PaymentFailed]:
    return incoming(PaymentFailed(order_id, uuid.uuid4(), TOTAL, reason))


@functools.cache
def unused_engine() -> Engine:
    """An engine that is never connected: the fakes stand in for everything it would reach."""
    return create_engine("postgresql+psycopg2://unused")


def orders_on(state: OrdersState) -> orders.Orders:
    """The orders module, built the way the worker builds it, on the fake unit of work."""
    return orders.build(unused_engine(), unit_of_work=lambda: FakeOrdersUnitOfWork(state))


def apply(state: OrdersState, *batch: Incoming[Any]) -> frozenset[uuid.UUID]:
    """Deliver the events as one batch through the handler the module maps them to; the waiting ids."""
    handlers = orders_on(state).handlers
    (handler,) = {handlers[type(message.event)] for message in batch}
    return handler(list(batch))


def apply_each(state: OrdersState, *messages: Incoming[Any]) -> list[frozenset[uuid.UUID]]:
    """Deliver the events one batch each, in order."""
    return [apply(state, message) for message in messages]


def moves_of(state: OrdersState, order_id: uuid.UUID) -> list[tuple[OrderStatus | None, OrderStatus]]:
    """(from, to) of every history line of the order."""
    return [(change.from_status, change.to_status) for change in state.history_of(order_id)]
