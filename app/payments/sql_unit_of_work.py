"""PaymentsUnitOfWork on PostgreSQL: advisory order locks, conditional transitions, outbox and inbox."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    RowMapping,
    Select,
    String,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert

from app.contracts import Envelope, Event
from app.payments.domain import Cause, Payment, PaymentStatus, sources_of
from app.payments.tables import cancelled_orders, outbox, payment_history, payments, processed_events
from app.payments.unit_of_work import Applied, OrderState
from app.persistence import Prepared, SqlTransaction, append_events, claim_event

_PAYMENT_COLUMNS = [payments.c[name] for name in ("id", "order_id", "amount", "status", "correlation_id")]


class SqlPaymentsUnitOfWork(SqlTransaction):
    """One PostgreSQL transaction; rolled back on exit unless committed.

    The hot statements are built once (per target status) with bound parameters and run with values:
    building them per event cost more CPU than the database spent running them.
    """

    def lock_order(self, order_id: uuid.UUID) -> None:
        _locking().run(self._conn, {"order_key": str(order_id)})

    def read_order(self, order_id: uuid.UUID, event_id: uuid.UUID) -> OrderState:
        row = _reading().run(self._conn, {"order_id": order_id, "event_id": event_id}).mappings().one()
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
        return bool(_adding().run(self._conn, params).scalar_one())

    def payment_for_order(self, order_id: uuid.UUID) -> Payment | None:
        row = _finding().run(self._conn, {"order_id": order_id}).mappings().first()
        return None if row is None else _payment(row)

    def move_payment(self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause) -> bool:
        params = {"payment_id": payment.id, "reason": reason, **_cause(cause)}
        return bool(_moving(target).run(self._conn, params).scalar_one())

    def claim_and_move(
        self, payment: Payment, target: PaymentStatus, reason: str | None, cause: Cause
    ) -> Applied:
        # A duplicate moves too, but its handler leaves without committing, which undoes the move.
        params = {"payment_id": payment.id, "reason": reason, **_cause(cause)}
        was_claimed, was_moved = _claiming_and_moving(target).run(self._conn, params).one()
        return Applied(was_claimed, was_moved)

    def note(self, payment: Payment, reason: str, cause: Cause) -> None:
        current = select(
            payments.c.id, payments.c.status.label("from_status"), payments.c.status, literal(reason)
        )
        statement = _history(current.where(payments.c.id == payment.id))
        self._conn.execute(select(literal(1)).add_cte(statement), _cause(cause))

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


@functools.cache
def _locking() -> Prepared:
    """Serialise every handler of one order for the rest of the transaction."""
    key = func.hashtextextended(bindparam("order_key", type_=String()), 0)
    return Prepared("payflow_payments_lock_order", select(func.pg_advisory_xact_lock(key)))


@functools.cache
def _reading() -> Prepared:
    """Whether the event was claimed, whether the order was cancelled, and its payment if any."""
    order_id = bindparam("order_id", type_=payments.c.order_id.type)
    claimed = exists().where(processed_events.c.event_id == bindparam("event_id", type_=UUID(as_uuid=True)))
    cancelled = exists().where(cancelled_orders.c.order_id == order_id)
    # One row even without a payment: the flags are selected beside an outer-joined payment.
    one = select(literal(1).label("one")).subquery()
    found = select(claimed.label("claimed"), cancelled.label("cancelled"), *_PAYMENT_COLUMNS).select_from(
        one.outerjoin(payments, payments.c.order_id == order_id)
    )
    return Prepared("payflow_payments_read_order", found)


@functools.cache
def _finding() -> Prepared:
    order_id = bindparam("order_id", type_=payments.c.order_id.type)
    return Prepared("payflow_payments_find", select(*_PAYMENT_COLUMNS).where(payments.c.order_id == order_id))


@functools.cache
def _adding() -> Prepared:
    """Insert the payment unless the order has one, with its first history row; true when inserted."""
    values = {
        "id": bindparam("payment_id", type_=payments.c.id.type),
        "order_id": bindparam("order_id", type_=payments.c.order_id.type),
        "amount": bindparam("amount", type_=payments.c.amount.type),
        "status": bindparam("status", type_=payments.c.status.type),
        "reason": bindparam("reason", type_=payments.c.reason.type),
        "correlation_id": bindparam("correlation_id", type_=payments.c.correlation_id.type),
    }
    stored = (
        insert(payments)
        .values(values)
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(payments.c.id, payments.c.status, payments.c.reason)
        .cte("stored")
    )
    history = _history(select(stored.c.id, null(), stored.c.status, stored.c.reason))
    return Prepared("payflow_payments_add", select(exists(stored.select())).add_cte(history))


@functools.cache
def _moving(target: PaymentStatus) -> Prepared:
    moved = _moved(target)
    statement = select(exists(moved.select())).add_cte(_history(moved.select()))
    return Prepared(f"payflow_payments_move_to_{target.value.lower()}", statement)


@functools.cache
def _claiming_and_moving(target: PaymentStatus) -> Prepared:
    claimed = (
        insert(processed_events)
        .values(
            event_id=bindparam("event_id", type_=UUID(as_uuid=True)),
            event_type=bindparam("event_type", type_=String()),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed_events.c.event_id)
        .cte("claimed")
    )
    moved = _moved(target)
    outcome = select(exists(claimed.select()), exists(moved.select())).add_cte(_history(moved.select()))
    return Prepared(f"payflow_payments_claim_and_move_to_{target.value.lower()}", outcome)


def _moved(target: PaymentStatus) -> CTE:
    """Lock, check and change the row in one statement: the transitions table is checked on the current row.

    Yields (payment id, previous status, new status, reason) when the payment moved, nothing otherwise.
    """
    payment_id = bindparam("payment_id", type_=payments.c.id.type)
    before = select(payments.c.id, payments.c.status).where(payments.c.id == payment_id).with_for_update()
    current = before.cte("before")
    statement = (
        update(payments)
        .where(payments.c.id == current.c.id, current.c.status.in_([s.value for s in sources_of(target)]))
        .values(
            status=target.value,
            reason=bindparam("reason", type_=payments.c.reason.type),
            updated_at=func.now(),
        )
        .returning(payments.c.id, current.c.status.label("previous"), payments.c.status, payments.c.reason)
    )
    return statement.cte("moved")


def _history(changed: Select[Any]) -> CTE:
    """Inserts a history row for each (payment id, from status, to status, reason) row of `changed`;
    the cause is bound as `event_id` and `event_type`."""
    rows = changed.add_columns(
        bindparam("event_id", type_=UUID(as_uuid=True)), bindparam("event_type", type_=String())
    )
    names = ["payment_id", "from_status", "to_status", "reason", "event_id", "event_type"]
    return insert(payment_history).from_select(names, rows).cte("history")


def _cause(cause: Cause) -> dict[str, Any]:
    return {"event_id": cause.event_id, "event_type": cause.event_type}


def _payment(row: RowMapping) -> Payment:
    return Payment(
        row["id"], row["order_id"], row["amount"], PaymentStatus(row["status"]), row["correlation_id"]
    )
