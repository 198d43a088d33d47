"""Fakes of the payments module's ports: a unit of work on an in-memory state, and a scriptable provider."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Self

from app.contracts import Envelope
from app.payments import ChargeResult, PaymentStatus, ProviderUnavailable
from app.payments.domain import ConcurrentChange, Payment
from app.payments.ledger import Book, Ledger, Line

LOCK_TIMEOUT_S = 10.0
APPROVED = ChargeResult(PaymentStatus.APPROVED)


class StorageFailure(Exception):
    """Stands in for the database refusing a write."""


@dataclass
class Owed:
    """A release the sweeper owes a payment it failed."""

    order_id: uuid.UUID
    since: datetime
    attempts: int = 0
    last_attempt: datetime | None = None


@dataclass
class PaymentsState:
    """What the fake has committed. `now` is its clock (every write stamps the payment's `updated_at`
    with it); `broken_saves` makes that many next saves raise StorageFailure."""

    payments: dict[uuid.UUID, Payment] = field(default_factory=dict)  # by order id
    updated_at: dict[uuid.UUID, datetime] = field(default_factory=dict)  # by payment id
    history: list[Line] = field(default_factory=list)
    tombstones: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # order id -> cancel's event id
    claimed: set[uuid.UUID] = field(default_factory=set)
    releases_owed: dict[uuid.UUID, Owed] = field(default_factory=dict)  # by payment id
    outbox: list[Envelope] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    broken_saves: int = 0
    serial: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def events_of(self, order_id: uuid.UUID) -> list[str]:
        return [envelope.type for envelope in self._outbox_of(order_id)]

    def correlations_of(self, order_id: uuid.UUID) -> list[str]:
        return [envelope.correlation_id for envelope in self._outbox_of(order_id)]

    def lines_of(self, order_id: uuid.UUID) -> list[Line]:
        payment_id = self.payments[order_id].id
        return [line for line in self.history if line.payment_id == payment_id]

    def notes_of(self, order_id: uuid.UUID) -> list[str | None]:
        return [line.reason for line in self.lines_of(order_id)]

    def _outbox_of(self, order_id: uuid.UUID) -> list[Envelope]:
        return [envelope for envelope in self.outbox if envelope.payload["orderId"] == str(order_id)]


class FakePaymentsUnitOfWork:
    """One transaction on `state`: reads see committed state, a saved ledger is kept only by `commit`.

    Transactions on one state never overlap (like the SQL one's per-process lock and order locks)."""

    def __init__(self, state: PaymentsState) -> None:
        self._state = state
        self._saved: list[Ledger] = []
        self._later: list[Callable[[], None]] = []  # other writes, kept by `commit` too

    def __enter__(self) -> Self:
        if not self._state.serial.acquire(timeout=LOCK_TIMEOUT_S):
            raise AssertionError("a transaction waited for another one on the same state for too long")
        self._saved = []
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._saved, self._later = [], []
        self._state.serial.release()

    def read(self, order_ids: Sequence[uuid.UUID], event_ids: Sequence[uuid.UUID]) -> Ledger:
        state = self._state  # every order is locked already: this transaction holds the whole state
        books = {
            order_id: Book(order_id in state.tombstones, state.payments.get(order_id))
            for order_id in set(order_ids)
        }
        return Ledger(books, {event_id for event_id in event_ids if event_id in state.claimed})

    def stuck(self, older_than_s: int, limit: int) -> list[uuid.UUID]:
        deadline = self._state.now - timedelta(seconds=older_than_s)
        processing = [p for p in self._state.payments.values() if p.status is PaymentStatus.PROCESSING]
        late = sorted(
            (self._state.updated_at[p.id], p.order_id)
            for p in processing
            if self._state.updated_at[p.id] < deadline
        )
        return [order_id for _, order_id in late[:limit]]

    def owe_releases(self, payments: Sequence[Payment]) -> None:
        owed = {payment.id: Owed(payment.order_id, self._state.now) for payment in payments}
        if twice := owed.keys() & self._state.releases_owed.keys():
            raise StorageFailure(f"releases of {twice} owed already (primary key)")
        self._later.append(lambda: self._state.releases_owed.update(owed))

    def releases_owed(self, limit: int) -> list[uuid.UUID]:
        state = self._state
        owed = [o for o in state.releases_owed.values() if o.order_id in state.payments]  # as the SQL join
        ordered = sorted(owed, key=lambda o: (o.last_attempt is not None, o.last_attempt or o.since, o.since))
        return [entry.order_id for entry in ordered[:limit]]

    def releases_done(self, released: Sequence[uuid.UUID], refused: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        state, removed = (
            self._state,
            {payment_id for payment_id in released if payment_id in self._state.releases_owed},
        )

        def keep() -> None:
            for payment_id in removed:
                del state.releases_owed[payment_id]
            for payment_id in refused:
                if owed := state.releases_owed.get(payment_id):  # another sweeper may have settled it
                    owed.attempts += 1
                    owed.last_attempt = state.now

        self._later.append(keep)
        return removed

    def save(self, ledger: Ledger) -> None:
        """Refuse what the SQL constraints would refuse; keep the ledger for `commit`."""
        state = self._state
        if state.broken_saves:
            state.broken_saves -= 1
            raise StorageFailure("the database refused the batch")
        if twice := [order_id for order_id, _ in ledger.tombstones if order_id in state.tombstones]:
            raise StorageFailure(f"orders {twice} tombstoned already (primary key)")
        if second := [p.order_id for p in ledger.opened.values() if p.order_id in state.payments]:
            raise StorageFailure(f"orders {second} have a payment already (one payment per order)")
        for before, after in ledger.changed.values():
            if state.payments[after.order_id].status is not before:
                raise ConcurrentChange(f"payment {after.id} changed under its order's lock")
        self._saved.append(ledger)

    def commit(self) -> None:
        for ledger in self._saved:
            self._keep(ledger)
        for change in self._later:
            change()
        self._saved, self._later = [], []

    def _keep(self, ledger: Ledger) -> None:
        state = self._state
        state.claimed |= {message.id for message in ledger.claims}
        state.tombstones.update((order_id, event_id) for order_id, event_id in ledger.tombstones)
        written = [*ledger.opened.values(), *(after for _, after in ledger.changed.values())]
        for payment in written:
            state.payments[payment.order_id] = payment
            state.updated_at[payment.id] = state.now
        state.history.extend(ledger.lines)
        state.outbox.extend(ledger.events)


class ProviderUnreachable(ProviderUnavailable):
    """Stands in for the provider's endpoint failing a call."""


@dataclass(frozen=True)
class Charge:
    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal


class FakeProvider:
    """Records every call (`calls`) and every charge and refund in it. Answers `default` unless an order has
    an answer of its own (None: the provider never answers); a hook set for an order runs once, after its
    charge was taken and before the answer comes back; `unreachable_calls` makes the requests for that
    many next payments raise ProviderUnreachable (a charge is recorded as taken even then: the request
    may have reached the provider)."""

    def __init__(self, default: ChargeResult | None = APPROVED) -> None:
        self.default = default
        self.answers: dict[uuid.UUID, ChargeResult | None] = {}
        self.charges: list[Charge] = []
        self.refunds: list[tuple[uuid.UUID, Decimal]] = []
        self.unreachable_calls = 0
        self.calls: list[tuple[str, list[uuid.UUID]]] = []  # ("charge" or "refund", the orders asked about)
        self._hooks: dict[uuid.UUID, Callable[[], Any]] = {}
        self._lock = threading.Lock()

    def answer(self, order_id: uuid.UUID, result: ChargeResult | None) -> None:
        self.answers[order_id] = result

    def before_answering(self, order_id: uuid.UUID, hook: Callable[[], Any]) -> None:
        self._hooks[order_id] = hook

    def charged(self, order_id: uuid.UUID) -> list[uuid.UUID]:
        """The payment id of every charge taken for the order."""
        return [charge.payment_id for charge in self.charges if charge.order_id == order_id]

    def charge(self, payments: Sequence[Payment]) -> dict[uuid.UUID, ChargeResult | None]:
        self.calls.append(("charge", [payment.order_id for payment in payments]))
        return {payment.id: self._charge(payment) for payment in payments}

    def refund(self, payments: Sequence[Payment]) -> None:
        self.calls.append(("refund", [payment.order_id for payment in payments]))
        for payment in payments:
            with self._lock:
                if self._unreachable():
                    raise ProviderUnreachable("the provider did not take the call")
                self.refunds.append((payment.id, payment.amount))

    def _charge(self, payment: Payment) -> ChargeResult | None:
        with self._lock:
            self.charges.append(Charge(payment.id, payment.order_id, payment.amount))
            unreachable = self._unreachable()
            hook = self._hooks.pop(payment.order_id, None)
        if unreachable:
            raise ProviderUnreachable("the provider did not take the call")
        if hook is not None:
            hook()
        return self.answers.get(payment.order_id, self.default)

    def _unreachable(self) -> bool:
        if self.unreachable_calls:
            self.unreachable_calls -= 1
            return True
        return False
