"""Fakes for the payments module: a unit of work on dictionaries and a scriptable payment provider."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self

from app.contracts import Envelope, Event
from app.payments import ChargeResult, PaymentStatus
from app.payments.domain import Cause, Payment, can_move
from app.payments.unit_of_work import Applied, OrderState


@dataclass
class HistoryRow:
    payment_id: uuid.UUID
    from_status: PaymentStatus | None
    to_status: PaymentStatus
    reason: str | None
    cause: Cause


@dataclass
class PaymentsState:
    """What the fake has committed; `now` is the clock the sweeper's deadline is measured on."""

    payments: dict[uuid.UUID, Payment] = field(default_factory=dict)
    reasons: dict[uuid.UUID, str | None] = field(default_factory=dict)
    updated_at: dict[uuid.UUID, datetime] = field(default_factory=dict)
    history: list[HistoryRow] = field(default_factory=list)
    tombstones: set[uuid.UUID] = field(default_factory=set)
    outbox: list[tuple[Event, str]] = field(default_factory=list)
    inbox: set[uuid.UUID] = field(default_factory=set)
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def events_of(self, order_id: uuid.UUID) -> list[str]:
        return [event.TYPE for event, _ in self.outbox if getattr(event, "order_id", None) == order_id]

    def notes_of(self, order_id: uuid.UUID) -> list[str | None]:
        payment_id = self.payments[order_id].id
        return [row.reason for row in self.history if row.payment_id == payment_id]


class FakePaymentsUnitOfWork:
    """Works on a copy of the committed state; `commit` publishes the copy."""

    def __init__(self, state: PaymentsState) -> None:
        self.committed = state
        self._work = PaymentsState()

    def __enter__(self) -> Self:
        self._work = copy.deepcopy(self.committed)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._work = PaymentsState()

    def commit(self) -> None:
        self.committed.__dict__.update(copy.deepcopy(self._work).__dict__)

    def lock_order(self, order_id: uuid.UUID) -> None:
        return None

    def read_order(self, order_id: uuid.UUID, event_id: uuid.UUID) -> OrderState:
        claimed = event_id in self._work.inbox
        return OrderState(claimed, order_id in self._work.tombstones, self._work.payments.get(order_id))

    def claim(self, envelope: Envelope) -> bool:
        fresh = envelope.id not in self._work.inbox
        self._work.inbox.add(envelope.id)
        return fresh

    def add_tombstone(self, order_id: uuid.UUID, event_id: uuid.UUID) -> None:
        self._work.tombstones.add(order_id)

    def add_payment(self, payment: Payment, reason: str | None, cause: Cause) -> bool:
        if payment.order_id in self._work.payments:
            return False
        self._store(payment, reason)
        self._work.history.append(HistoryRow(payment.id, None, payment.status, reason, cause))
        return True

    def payment_for_order(self, order_id: uuid.UUID) -> Payment | None:
        return self._work.payments.get(order_id)

    def move_payment(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        current = self._work.payments[payment.order_id]
        if not can_move(current.status, target):
            return False
        self._store(replace(current, status=target), reason)
        self._work.history.append(HistoryRow(payment.id, current.status, target, reason, cause))
        return True

    def claim_and_move(
        self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause
    ) -> Applied:
        claimed = cause.event_id not in self._work.inbox
        if cause.event_id is not None:
            self._work.inbox.add(cause.event_id)
        return Applied(claimed, self.move_payment(payment, target, reason, cause))

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        status = self._work.payments[payment.order_id].status
        self._work.history.append(HistoryRow(payment.id, status, status, reason, cause))

    def stuck_payments(self, older_than_s: int, limit: int) -> list[Payment]:
        deadline = self._work.now - timedelta(seconds=older_than_s)
        stuck = [
            payment
            for payment in self._work.payments.values()
            if payment.status is PaymentStatus.PROCESSING and self._work.updated_at[payment.id] < deadline
        ]
        return stuck[:limit]

    def emit(self, event: Event, correlation_id: str) -> None:
        self._work.outbox.append((event, correlation_id))

    def _store(self, payment: Payment, reason: str | None) -> None:
        self._work.payments[payment.order_id] = payment
        self._work.reasons[payment.id] = reason
        self._work.updated_at[payment.id] = self._work.now


def fake_uow_factory(state: PaymentsState) -> Callable[[], FakePaymentsUnitOfWork]:
    """A factory handing out fresh units of work over one shared committed state."""
    return lambda: FakePaymentsUnitOfWork(state)


@dataclass
class FakePaymentGateway:
    """Answers every charge with `answer`; `during_charge` runs while the provider is 'thinking'."""

    answer: ChargeResult | None = field(default_factory=lambda: ChargeResult(PaymentStatus.APPROVED))
    during_charge: Callable[[], None] | None = None
    failing_calls: int = 0
    charges: list[uuid.UUID] = field(default_factory=list)
    refunds: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)

    def charge(self, payment_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal) -> ChargeResult | None:
        self.charges.append(payment_id)
        self._maybe_fail()
        if self.during_charge is not None:
            hook, self.during_charge = self.during_charge, None
            hook()
        return self.answer

    def refund(self, payment_id: uuid.UUID, amount: Decimal) -> None:
        self._maybe_fail()
        self.refunds.append((payment_id, amount))

    def _maybe_fail(self) -> None:
        if self.failing_calls:
            self.failing_calls -= 1
            raise ConnectionError("provider unreachable")
