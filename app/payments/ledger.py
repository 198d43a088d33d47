"""What one payments transaction knows and decides, in memory: the books of its orders and their writes."""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self

from app.contracts import Envelope, Incoming
from app.payments.domain import (
    CANCELLED_BEFORE_PAYMENT,
    WITHOUT_MONEY,
    ConcurrentChange,
    Payment,
    PaymentStatus,
)


@dataclass(frozen=True)
class Cause:
    """Why a payment changed: the event applied (no id for the sweeper's own decisions) and its ids."""

    event_type: str
    event_id: uuid.UUID | None
    correlation_id: str

    @classmethod
    def of(cls, message: Incoming[Any]) -> Self:
        return cls(message.type, message.id, message.correlation_id)


@dataclass
class Book:
    """What payments knows about one order: whether it was cancelled, and its payment."""

    cancelled: bool = False
    payment: Payment | None = None

    @property
    def ended_after_a_charge(self) -> bool:
        """Its payment ended without money after its charge was asked (it was not born CANCELLED): each
        delivery of its creation releases it, claimed or not, since the delivery that charged may have died
        after the charge landed, its event claimed meanwhile by an overlapping delivery of it."""
        payment = self.payment
        if payment is None:
            return False
        return payment.status in WITHOUT_MONEY and payment.reason != CANCELLED_BEFORE_PAYMENT


@dataclass(frozen=True)
class Line:
    """One line of a payment's history (from None when it was opened)."""

    payment_id: uuid.UUID
    from_status: PaymentStatus | None
    to_status: PaymentStatus
    reason: str | None
    event_id: uuid.UUID | None
    event_type: str


@dataclass
class Ledger:
    """The books of a batch's orders, read under their locks, and every write the decisions produce."""

    books: dict[uuid.UUID, Book]
    claimed: set[uuid.UUID]  # events applied before this transaction
    claims: list[Incoming[Any]] = field(default_factory=list)
    tombstones: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    opened: dict[uuid.UUID, Payment] = field(default_factory=dict)
    changed: dict[uuid.UUID, tuple[PaymentStatus, Payment]] = field(default_factory=dict)  # status read
    lines: list[Line] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)

    def book(self, order_id: uuid.UUID) -> Book:
        return self.books.setdefault(order_id, Book())

    def claim(self, message: Incoming[Any]) -> None:
        self.claimed.add(message.id)
        self.claims.append(message)

    def tombstone(self, message: Incoming[Any]) -> None:
        book = self.book(message.event.order_id)
        if not book.cancelled:
            book.cancelled = True
            self.tombstones.append((message.event.order_id, message.id))

    def open(
        self, order_id: uuid.UUID, amount: Decimal, status: PaymentStatus, reason: str | None, cause: Cause
    ) -> Payment:
        """A new payment for the order, born in `status`; announced unless it is still PROCESSING."""
        payment = Payment(uuid.uuid4(), order_id, amount, status, reason, cause.correlation_id)
        self.book(order_id).payment = self.opened[payment.id] = payment
        self._record(payment, None, cause)
        return payment

    def move(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        """Move the order's payment to `target` and announce it, if the transitions table allows it now."""
        current = self.book(payment.order_id).payment
        if current is None or current.id != payment.id:
            raise ConcurrentChange(f"payment {payment.id} is not the payment of order {payment.order_id}")
        if not current.can_move(target):
            return False
        moved = self.book(payment.order_id).payment = current.moved(target, reason)
        if moved.id in self.opened:
            self.opened[moved.id] = moved
        else:  # the UPDATE expects the status read under the lock, however often the payment moved since
            read = self.changed[moved.id][0] if moved.id in self.changed else current.status
            self.changed[moved.id] = (read, moved)
        self._record(moved, current.status, cause)
        return True

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        """A history line for something that happened to the payment without changing its status."""
        self.lines.append(
            Line(payment.id, payment.status, payment.status, reason, cause.event_id, cause.event_type)
        )

    def _record(self, payment: Payment, before: PaymentStatus | None, cause: Cause) -> None:
        line = Line(payment.id, before, payment.status, payment.reason, cause.event_id, cause.event_type)
        self.lines.append(line)
        if payment.status is not PaymentStatus.PROCESSING:
            self.events.append(payment.result().to_envelope(cause.correlation_id))
