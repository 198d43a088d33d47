"""The payments module's SQL statements: locks, conditional transitions with history, prepared per session."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    CTE,
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

from app.payments.domain import PaymentStatus, sources_of
from app.payments.tables import cancelled_orders, payment_history, payments, processed_events
from app.persistence import Prepared, claim_statement

PAYMENT_COLUMNS = [payments.c[name] for name in ("id", "order_id", "amount", "status", "correlation_id")]


@functools.cache
def locking() -> Prepared:
    """Serialise every handler of one order for the rest of the transaction."""
    key = func.hashtextextended(bindparam("order_key", type_=String()), 0)
    return Prepared("payflow_payments_lock_order", select(func.pg_advisory_xact_lock(key)))


@functools.cache
def reading() -> Prepared:
    """Whether the event was claimed, whether the order was cancelled, and its payment if any."""
    order_id = bindparam("order_id", type_=payments.c.order_id.type)
    claimed = exists().where(processed_events.c.event_id == bindparam("event_id", type_=UUID(as_uuid=True)))
    cancelled = exists().where(cancelled_orders.c.order_id == order_id)
    # One row even without a payment: the flags are selected beside an outer-joined payment.
    one = select(literal(1).label("one")).subquery()
    found = select(claimed.label("claimed"), cancelled.label("cancelled"), *PAYMENT_COLUMNS).select_from(
        one.outerjoin(payments, payments.c.order_id == order_id)
    )
    return Prepared("payflow_payments_read_order", found)


@functools.cache
def finding() -> Prepared:
    order_id = bindparam("order_id", type_=payments.c.order_id.type)
    return Prepared("payflow_payments_find", select(*PAYMENT_COLUMNS).where(payments.c.order_id == order_id))


@functools.cache
def adding() -> Prepared:
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
    first = history(select(stored.c.id, null(), stored.c.status, stored.c.reason))
    return Prepared("payflow_payments_add", select(exists(stored.select())).add_cte(first))


@functools.cache
def moving(target: PaymentStatus) -> Prepared:
    moved = _moved(target)
    statement = select(exists(moved.select())).add_cte(history(moved.select()))
    return Prepared(f"payflow_payments_move_to_{target.value.lower()}", statement)


@functools.cache
def claiming_and_moving(target: PaymentStatus) -> Prepared:
    claimed = claim_statement(processed_events).cte("claimed")
    moved = _moved(target)
    outcome = select(exists(claimed.select()), exists(moved.select())).add_cte(history(moved.select()))
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


def history(changed: Select[Any]) -> CTE:
    """Inserts a history row for each (payment id, from status, to status, reason) row of `changed`;
    the cause is bound as `event_id` and `event_type`."""
    rows = changed.add_columns(
        bindparam("event_id", type_=UUID(as_uuid=True)), bindparam("event_type", type_=String())
    )
    names = ["payment_id", "from_status", "to_status", "reason", "event_id", "event_type"]
    return insert(payment_history).from_select(names, rows).cte("history")
