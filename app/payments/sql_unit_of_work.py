"""PaymentsUnitOfWork on PostgreSQL: advisory order locks, conditional transitions, outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert

from app.contracts import Envelope, Event
from app.payments.domain import Cause, Payment, PaymentStatus, sources_of
from app.payments.tables import cancelled_orders, outbox, payment_history, payments, processed_events
from app.persistence import SqlTransaction, append_events, claim_event

_PAYMENT_COLUMNS = [payments.c[name] for name in ("id", "order_id", "amount", "status", "correlation_id")]


class SqlPaymentsUnitOfWork(SqlTransaction):
    """One PostgreSQL transaction; rolled back on exit unless committed."""

    def lock_order(self, order_id: uuid.UUID) -> None:
        key = func.hashtextextended(str(order_id), 0)
        self._conn.execute(select(func.pg_advisory_xact_lock(key)))

    def is_claimed(self, event_id: uuid.UUID) -> bool:
        found = select(processed_events.c.event_id).where(processed_events.c.event_id == event_id)
        return self._conn.execute(found).first() is not None

    def claim(self, envelope: Envelope) -> bool:
        return claim_event(self._conn, processed_events, envelope.id, envelope.type)

    def has_tombstone(self, order_id: uuid.UUID) -> bool:
        found = select(cancelled_orders.c.order_id).where(cancelled_orders.c.order_id == order_id)
        return self._conn.execute(found).first() is not None

    def add_tombstone(self, order_id: uuid.UUID, event_id: uuid.UUID) -> None:
        statement = insert(cancelled_orders).values(order_id=order_id, event_id=event_id)
        self._conn.execute(statement.on_conflict_do_nothing(index_elements=["order_id"]))

    def add_payment(self, payment: Payment, reason: str | None, cause: Cause) -> bool:
        values = {
            "id": payment.id,
            "order_id": payment.order_id,
            "amount": payment.amount,
            "status": payment.status.value,
            "reason": reason,
            "correlation_id": payment.correlation_id,
        }
        statement = insert(payments).values(**values).on_conflict_do_nothing(index_elements=["order_id"])
        stored = self._conn.execute(statement.returning(payments.c.id)).first() is not None
        if stored:
            self._record(payment.id, None, payment.status, reason, cause)
        return stored

    def payment_for_order(self, order_id: uuid.UUID) -> Payment | None:
        found = select(*_PAYMENT_COLUMNS).where(payments.c.order_id == order_id)
        row = self._conn.execute(found).mappings().first()
        return None if row is None else _payment(row)

    def move_payment(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        # Lock, read and change the row in one statement: the transitions table is checked on the current row.
        before = select(payments.c.id, payments.c.status).where(payments.c.id == payment.id).with_for_update()
        current = before.cte()
        statement = (
            update(payments)
            .where(payments.c.id == current.c.id, current.c.status.in_([s.value for s in sources_of(target)]))
            .values(status=target.value, reason=reason, updated_at=func.now())
            .returning(current.c.status)
        )
        previous = self._conn.execute(statement).scalar_one_or_none()
        if previous is None:
            return False
        self._record(payment.id, PaymentStatus(previous), target, reason, cause)
        return True

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        current = self._conn.execute(
            select(payments.c.status).where(payments.c.id == payment.id)
        ).scalar_one()
        status = PaymentStatus(current)
        self._record(payment.id, status, status, reason, cause)

    def stuck_payments(self, older_than_s: int, limit: int) -> list[Payment]:
        statement = (
            select(*_PAYMENT_COLUMNS)
            .where(
                payments.c.status == PaymentStatus.PROCESSING.value,
                payments.c.updated_at < func.now() - timedelta(seconds=older_than_s),
            )
            .order_by(payments.c.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_payment(row) for row in self._conn.execute(statement).mappings()]

    def emit(self, event: Event, correlation_id: str) -> None:
        append_events(self._conn, outbox, [event.to_envelope(correlation_id)])

    def _record(
        self,
        payment_id: uuid.UUID,
        previous: PaymentStatus | None,
        target: PaymentStatus,
        reason: str | None,
        cause: Cause,
    ) -> None:
        row: dict[str, Any] = {
            "payment_id": payment_id,
            "from_status": None if previous is None else previous.value,
            "to_status": target.value,
            "event_id": cause.event_id,
            "event_type": cause.event_type,
            "reason": reason,
        }
        self._conn.execute(payment_history.insert().values(**row))


def _payment(row: RowMapping) -> Payment:
    return Payment(
        row["id"], row["order_id"], row["amount"], PaymentStatus(row["status"]), row["correlation_id"]
    )
