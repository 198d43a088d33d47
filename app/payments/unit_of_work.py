"""The payments unit of work port: one transaction over payments, history, tombstones, outbox and inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from app.contracts import Envelope, Event
from app.payments.domain import Cause, Payment, PaymentStatus


@dataclass(frozen=True)
class OrderState:
    """What a payments handler reads first about an order, once its lock is held."""

    event_claimed: bool
    cancelled: bool
    payment: Payment | None


@dataclass(frozen=True)
class Applied:
    """Whether the event was claimed now (False: a duplicate) and whether the payment moved."""

    claimed: bool
    moved: bool


class PaymentsUnitOfWork(Protocol):
    """What the payments handlers need from storage; nothing is kept unless `commit` is called."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def lock_order(self, order_id: uuid.UUID) -> None:
        """Serialize with every other transaction about this order until this one ends."""
        ...

    def read_order(self, order_id: uuid.UUID, event_id: uuid.UUID) -> OrderState:
        """In one read: whether the event was applied, whether the order was cancelled, and its payment."""
        ...

    def claim(self, envelope: Envelope) -> bool:
        """Record the event as applied; False when it already was."""
        ...

    def add_tombstone(self, order_id: uuid.UUID, event_id: uuid.UUID) -> None:
        """Remember that the order was cancelled (once)."""
        ...

    def add_payment(self, payment: Payment, reason: str | None, cause: Cause) -> bool:
        """Store the order's payment and its first history row unless it has one; True when stored."""
        ...

    def payment_for_order(self, order_id: uuid.UUID) -> Payment | None:
        """The order's payment, if any."""
        ...

    def move_payment(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        """Move the payment to `target` (with history) if the transitions table allows it now."""
        ...

    def claim_and_move(
        self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause
    ) -> Applied:
        """Claim the event of `cause` and, in the same statement, `move_payment`."""
        ...

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        """A history row for something that happened to the payment without changing its status."""
        ...

    def stuck_payments(self, older_than_s: int, limit: int) -> list[Payment]:
        """Lock and return PROCESSING payments unchanged for `older_than_s`, skipping locked ones."""
        ...

    def emit(self, event: Event, correlation_id: str) -> None:
        """Publish the event if, and only if, this transaction commits."""
        ...
