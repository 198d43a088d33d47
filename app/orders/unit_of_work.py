"""The orders unit of work: one transaction holding the inbox claim, the order change and its history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy import CTE, Insert, Select, Text, cast, exists, func, literal, null, select, update
from sqlalchemy.dialects.postgresql import UUID, insert

from app.contracts import Envelope
from app.orders.domain import OrderStatus, sources_of
from app.orders.tables import order_history, orders, processed_events
from app.persistence import SqlTransaction


@dataclass(frozen=True)
class Applied:
    """What one event did to one order, as its single statement reported it."""

    claimed: bool  # False: a duplicate, whose handler must leave without committing
    changed: bool
    status: OrderStatus | None  # after the statement; None when the order was not found (or not stored)


class OrdersUnitOfWork(Protocol):
    """What the orders handlers need from storage; nothing is kept unless `commit` is called."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> Applied:
        """Claim `cause` and store a PENDING order (and its first history row) unless it exists."""
        ...

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> Applied:
        """Claim `cause`; move the order to `target` (with history) if the transitions table allows it now."""
        ...


class SqlOrdersUnitOfWork(SqlTransaction):
    """OrdersUnitOfWork on PostgreSQL, one statement per event; a rollback happens on exit unless committed.

    Each statement claims the event in the inbox and makes the change with its history row through
    data-modifying CTEs, so it is all or nothing within the transaction. A duplicate still runs the
    change, but the handler then leaves without committing and the rollback undoes it.
    """

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> Applied:
        values = {"id": order_id, "user_id": user_id, "total": total, "status": OrderStatus.PENDING.value}
        stored = (
            insert(orders)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(orders.c.id, orders.c.status)
            .cte("stored")
        )
        history = _history(select(stored.c.id, null(), stored.c.status), cause, None)
        claimed = _claim(cause)
        outcome = select(exists(claimed.select()), exists(stored.select())).add_cte(history.cte("history"))
        was_claimed, was_stored = self._conn.execute(outcome).one()
        return Applied(was_claimed, was_stored, OrderStatus.PENDING if was_stored else None)

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> Applied:
        # Lock the row and read its status in the statement that changes it: no read-then-write race.
        before = select(orders.c.id, orders.c.status).where(orders.c.id == order_id).with_for_update().cte()
        moved = (
            update(orders)
            .where(orders.c.id == before.c.id, before.c.status.in_([s.value for s in sources_of(target)]))
            .values(status=target.value, updated_at=func.now())
            .returning(orders.c.id, before.c.status.label("previous"), orders.c.status)
            .cte("moved")
        )
        history = _history(select(moved.c.id, moved.c.previous, moved.c.status), cause, reason)
        current = select(before.c.status).scalar_subquery()
        outcome = select(exists(_claim(cause).select()), exists(moved.select()), current)
        was_claimed, was_moved, status = self._conn.execute(outcome.add_cte(history.cte("history"))).one()
        return Applied(was_claimed, was_moved, target if was_moved else _status(status))


def _claim(cause: Envelope) -> CTE:
    """Insert the event into the inbox; the CTE has a row when it was not there yet."""
    statement = (
        insert(processed_events)
        .values(event_id=cause.id, event_type=cause.type)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed_events.c.event_id)
    )
    return statement.cte("claimed")


def _history(changed: Select[Any], cause: Envelope, reason: str | None) -> Insert:
    """A history row for each (order id, from status, to status) row `changed` yields."""
    event_id = cast(literal(cause.id), UUID(as_uuid=True))
    why = changed.add_columns(event_id, literal(cause.type), cast(literal(reason), Text))
    names = ["order_id", "from_status", "to_status", "event_id", "event_type", "reason"]
    return insert(order_history).from_select(names, why)


def _status(value: str | None) -> OrderStatus | None:
    return None if value is None else OrderStatus(value)
