"""The payments unit of work: one transaction that locks orders, reads their books and saves a ledger."""

import functools
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol, Self

from sqlalchemy import Engine, Select, Update, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert

from app.payments.domain import ConcurrentChange, Payment, PaymentStatus
from app.payments.ledger import Book, Ledger
from app.payments.tables import (
    cancelled_orders,
    outbox,
    payment_history,
    payments,
    processed_events,
    releases_owed,
)
from app.persistence import SqlTransaction, append_events, batch_of, claim_events, in_array

_PAYMENT = ("id", "order_id", "amount", "status", "reason", "correlation_id")
_MOVED = ("id", "status", "reason", "expected")
_LINE = ("payment_id", "from_status", "to_status", "reason", "event_id", "event_type")


class PaymentsUnitOfWork(Protocol):
    """What the payments handler and sweeper need from storage; nothing is kept unless `commit` is called."""

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def commit(self) -> None: ...
    def save(self, ledger: Ledger) -> None: ...

    def read(self, order_ids: Sequence[uuid.UUID], event_ids: Sequence[uuid.UUID]) -> Ledger:
        """Lock these orders until the transaction ends, read their books and which events were applied."""

    def stuck(self, older_than_s: int, limit: int) -> list[uuid.UUID]:
        """Orders whose payment has been PROCESSING, unchanged, for more than `older_than_s` seconds."""

    def owe_releases(self, payments: Sequence[Payment]) -> None:
        """Record that these payments, failed by the sweeper, are owed a release at the provider."""

    def releases_owed(self, limit: int) -> list[uuid.UUID]:
        """Orders whose payment is owed a release: never tried first, then the longest since a try."""

    def releases_done(self, released: Sequence[uuid.UUID], refused: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """The released payments owed no more (the ids this call removed: of two sweepers, one notes
        each), the refused ones sent to the back."""


class SqlPaymentsUnitOfWork(SqlTransaction):
    """A process's transactions share a `serial` lock (else they queue, or deadlock, on totals);
    `written` is called after a commit that added events to the outbox (the process's relay sends them)."""

    LOCK_SPACE = 2

    def __init__(
        self,
        engine: Engine,
        serial: "threading.Lock | None" = None,
        written: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(engine, serial)
        self._written, self._events = written, 0

    def commit(self) -> None:
        super().commit()
        if self._events:
            self._written()

    def read(self, order_ids: Sequence[uuid.UUID], event_ids: Sequence[uuid.UUID]) -> Ledger:
        self.lock_orders(order_ids)
        books, claimed = {}, set[uuid.UUID]()
        params = {"batch_order_id": list(set(order_ids)), "event_ids": list(event_ids)}
        for row in self._conn.execute(_books(), params).mappings():
            payment = None if row["id"] is None else _payment(row)
            books[row["order_id"]] = Book(row["cancelled"], payment)
            claimed = set(row["applied"] or ())
        return Ledger(books, claimed)

    def stuck(self, older_than_s: int, limit: int) -> list[uuid.UUID]:
        processing = payments.c.status == PaymentStatus.PROCESSING.value
        unchanged = payments.c.updated_at < func.now() - timedelta(seconds=older_than_s)
        oldest = select(payments.c.order_id).where(processing, unchanged).order_by(payments.c.updated_at)
        return list(self._conn.execute(oldest.limit(limit)).scalars())

    def owe_releases(self, payments: Sequence[Payment]) -> None:
        if payments:
            rows = [{"payment_id": payment.id, "order_id": payment.order_id} for payment in payments]
            self._conn.execute(upsert(releases_owed).on_conflict_do_nothing(), rows)

    def releases_owed(self, limit: int) -> list[uuid.UUID]:
        owed = releases_owed.c  # joined: a row whose payment an operator deleted must not block the others
        found = select(owed.order_id).join(payments, payments.c.id == owed.payment_id)
        oldest = found.order_by(owed.last_attempt_at.asc().nulls_first(), owed.owed_since)
        return list(self._conn.execute(oldest.limit(limit)).scalars())

    def releases_done(self, released: Sequence[uuid.UUID], refused: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        owed = releases_owed.c
        done = delete(releases_owed).where(in_array(owed.payment_id, "ids")).returning(owed.payment_id)
        removed = set(self._conn.execute(done, {"ids": list(released)}).scalars()) if released else set()
        if refused:
            tried = {"attempts": owed.attempts + 1, "last_attempt_at": func.clock_timestamp()}
            again = update(releases_owed).where(in_array(owed.payment_id, "ids")).values(tried)
            self._conn.execute(again, {"ids": list(refused)})
        return removed

    def save(self, ledger: Ledger) -> None:
        claim_events(self._conn, processed_events, ledger.claims)
        if ledger.tombstones:
            rows = [{"order_id": order_id, "event_id": event_id} for order_id, event_id in ledger.tombstones]
            self._conn.execute(insert(cancelled_orders), rows)
        self.insert(payments, [vars(p) for p in ledger.opened.values()], _PAYMENT, "created_at", "updated_at")
        changed = [{**vars(after), "expected": before} for before, after in ledger.changed.values()]
        moved = self.write_batch(_moving(), changed, _MOVED)
        if moved != len(changed):
            raise ConcurrentChange(f"{len(changed) - moved} payment(s) changed under their orders' locks")
        self.insert(payment_history, [vars(line) for line in ledger.lines], _LINE, "at")
        append_events(self._conn, outbox, ledger.events)
        self._events += len(ledger.events)


def _payment(row: Any) -> Payment:
    return Payment(**{**{name: row[name] for name in _PAYMENT}, "status": PaymentStatus(row["status"])})


@functools.cache
def _books() -> Select[Any]:
    """Per order: its payment (NULLs when it has none) and whether a cancellation came for it; on every row,
    which of the batch's events were applied before (one statement, not two, after the locks)."""
    wanted = batch_of(payments, ("order_id",))
    paid = wanted.outerjoin(payments, payments.c.order_id == wanted.c.order_id)
    books = paid.outerjoin(cancelled_orders, cancelled_orders.c.order_id == wanted.c.order_id)
    found = (payments.c[name] for name in _PAYMENT if name != "order_id")
    cancelled = cancelled_orders.c.order_id.is_not(None).label("cancelled")
    ids = processed_events.c.event_id
    applied = select(func.array_agg(ids)).where(in_array(ids, "event_ids")).scalar_subquery().label("applied")
    return select(wanted.c.order_id, *found, cancelled, applied).select_from(books)


@functools.cache
def _moving() -> Update:
    """Conditional on the status read under the lock: a row changed behind the lock is not overwritten."""
    rows = batch_of(payments, _MOVED, expected="status")
    moved = update(payments).where(payments.c.id == rows.c.id, payments.c.status == rows.c.expected)
    return moved.values(status=rows.c.status, reason=rows.c.reason, updated_at=func.clock_timestamp())
