"""Events the payments tests deliver, and the payments module built on the fakes."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine

from app import payments
from app.contracts import Incoming, OrderCancelled, OrderCreated
from app.payments.domain import Payment
from tests.unit.payments.fake_payments import FakePaymentsUnitOfWork, FakeProvider, PaymentsState

AMOUNT = Decimal("42.50")
DEADLINE_S = 30
CREATE_CORRELATION = "corr-create"
CANCEL_CORRELATION = "corr-cancel"


def created(order_id: uuid.UUID, amount: Decimal = AMOUNT) -> Incoming[OrderCreated]:
    return Incoming(
        OrderCreated(order_id, uuid.uuid4(), amount), uuid.uuid4(), CREATE_CORRELATION, datetime.now(UTC)
    )


def cancelled(order_id: uuid.UUID) -> Incoming[OrderCancelled]:
    return Incoming(OrderCancelled(order_id), uuid.uuid4(), CANCEL_CORRELATION, datetime.now(UTC))


@functools.cache
def unused_engine() -> Engine:
    """An engine that is never connected: the fakes stand in for everything it would reach."""
    return create_engine("postgresql+psycopg2://unused")


@dataclass
class InMemoryPayments:
    """The payments module, built the way the worker builds it, on a fake state and a fake provider."""

    state: PaymentsState = field(default_factory=PaymentsState)
    provider: FakeProvider = field(default_factory=FakeProvider)

    def __post_init__(self) -> None:
        self.module = payments.build(
            unused_engine(),
            self.provider,
            deadline_s=DEADLINE_S,
            unit_of_work=lambda: FakePaymentsUnitOfWork(self.state),
        )

    def deliver(self, *messages: Incoming[Any]) -> None:
        """Each message in a batch of its own, in order."""
        for message in messages:
            self.deliver_batch([message])

    def deliver_batch(self, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
        """The messages as one batch, through the handler the module maps them to; the waiting ids."""
        (handler,) = {self.module.handlers[type(message.event)] for message in batch}
        return handler(batch)

    def sweep_after(self, seconds: float) -> int:
        """Let `seconds` pass, then run the sweeper once; how many payments it failed."""
        self.state.advance(seconds)
        return self.module.sweep()

    def payment(self, order_id: uuid.UUID) -> Payment:
        return self.state.payments[order_id]
