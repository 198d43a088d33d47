"""PaymentsUnitOfWork on PostgreSQL: advisory order locks, conditional transitions, outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from app.contracts import Envelope, Event
from app.payments import sql_statements as sql
from app.payments.domain import Cause, Payment, PaymentStatus
from app.payments.tables import cancelled_orders, outbox, payments, processed_events
from app.payments.unit_of_work import Applied, OrderState
from app.persistence import SqlTransaction, append_events, claim_event


class SqlPaymentsUnitOfWork(SqlTransaction):
    """One PostgreSQL transaction; rolled back on exit unless committed.

    The hot statements are built once (per target status) with bound parameters and run with values:
    building them per event cost more CPU than the database spent running them.
    """

    def lock_order(self, order_id: uuid.UUID) -> None:
        sql.locking().run(self._conn, {"order_key": str(order_id)})

    def read_order(self, order_id: uuid.UUID, event_id: uuid.UUID) -> OrderState:
        row = sql.reading().run(self._conn, {"order_id": order_id, "event_id": event_id}).mappings().one()
        payment = None if row["id"] is None else _payment(row)
        return OrderState(row["claimed"], row["cancelled"], payment)

    def claim(self, envelope: Envelope) -> bool:
        return claim_event(self._conn, processed_events, envelope.id, envelope.type)

    def add_tombstone(self, order_id: uuid.UUID, event_id: uuid.UUID) -> None:
        statement = insert(cancelled_orders).values(order_id=order_id, event_id=event_id)
        self._conn.execute(statement.on_conflict_do_nothing(index_elements=["order_id"]))

    def add_payment(self, payment: Payment, reason: str | None, cause: Cause) -> bool:
        params = {
            "payment_id": payment.id,
            "order_id": payment.order_id,
            "amount": payment.amount,
            "status": payment.status.value,
            "reason": reason,
            "correlation_id": payment.correlation_id,
            **_cause(cause),
        }
        return bool(sql.adding().run(self._conn, params).scalar_one())

    def payment_for_order(self, order_id: uuid.UUID) -> Payment | None:
        row = sql.finding().run(self._conn, {"order_id": order_id}).mappings().first()
        return None if row is None else _payment(row)

    def move_payment(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        params = {"payment_id": payment.id, "reason": reason, **_cause(cause)}
        return bool(sql.moving(target).run(self._conn, params).scalar_one())

    def claim_and_move(
        self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause
    ) -> Applied:
        # A duplicate moves too, but its handler leaves without committing, which undoes the move.
        params = {"payment_id": payment.id, "reason": reason, **_cause(cause)}
        was_claimed, was_moved = sql.claiming_and_moving(target).run(self._conn, params).one()
        return Applied(was_claimed, was_moved)

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        current = select(
            payments.c.id, payments.c.status.label("from_status"), payments.c.status, literal(reason)
        )
        statement = sql.history(current.where(payments.c.id == payment.id))
        self._conn.execute(select(literal(1)).add_cte(statement), _cause(cause))

    def stuck_payments(self, older_than_s: int, limit: int) -> list[Payment]:
        statement = (
            select(*sql.PAYMENT_COLUMNS)
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


def _cause(cause: Cause) -> dict[str, Any]:
    return {"event_id": cause.event_id, "event_type": cause.event_type}


def _payment(row: RowMapping) -> Payment:
    return Payment(
        row["id"], row["order_id"], row["amount"], PaymentStatus(row["status"]), row["correlation_id"]
    )
