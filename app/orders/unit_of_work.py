"""The orders unit of work: one atomic statement holding the inbox claim, the order change and its history."""

from __future__ import annotations

import contextlib
import functools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy import (
    CTE,
    Engine,
    Insert,
    Select,
    String,
    Text,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert

from app.contracts import Envelope
from app.orders.domain import OrderStatus, sources_of
from app.orders.tables import order_history, orders, processed_events
from app.persistence import Prepared, autocommit_connection


@dataclass(frozen=True)
class Applied:
    """What one event did to one order, as its single statement reported it."""

    claimed: bool  # False: a duplicate, whose handler must leave without committing
    changed: bool
    status: OrderStatus | None  # after the statement; None when the order was not found (or not stored)


class OrdersUnitOfWork(Protocol):
    """What the orders handlers need from storage; handlers `commit` what must be kept.

    An implementation may keep a method's effects without `commit` only when the method by itself
    changes nothing for a duplicate (not claimed) or for an event that is not applicable yet, as the
    SQL one does; the in-memory fake keeps nothing until `commit`.
    """

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


class SqlOrdersUnitOfWork:
    """OrdersUnitOfWork on PostgreSQL: one self-contained statement per event, in autocommit.

    Each statement claims the event in the inbox and makes the change with its history row through
    data-modifying CTEs, and every part is conditional on the others: the change happens only when the
    claim did (a duplicate changes nothing), and a move claims only an order that exists (an event that
    is not applicable yet leaves no claim behind, so its redelivery is applied later). Nothing ever
    needs rolling back, so the statement commits by itself: one round trip per event instead of three
    (BEGIN, statement, COMMIT). `commit` is therefore a no-op; PostgreSQL runs one statement atomically.
    The statements are built once (per target status) with bound parameters: building them per event
    cost more CPU than the database spent running them.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._scope: contextlib.ExitStack | None = None

    def __enter__(self) -> Self:
        self._scope = contextlib.ExitStack()
        self._conn = self._scope.enter_context(autocommit_connection(self._engine))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        scope, self._scope = self._scope, None
        if scope is not None:
            scope.close()

    def commit(self) -> None:
        """Nothing to do: each statement committed by itself."""

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> Applied:
        params = {"order_id": order_id, "user_id": user_id, "total": total, **_cause(cause, None)}
        was_claimed, was_stored = _adding().run(self._conn, params).one()
        return Applied(was_claimed, was_stored, OrderStatus.PENDING if was_stored else None)

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> Applied:
        params = {"order_id": order_id, **_cause(cause, reason)}
        was_claimed, was_moved, status = _moving(target).run(self._conn, params).one()
        return Applied(was_claimed, was_moved, target if was_moved else _status(status))


@functools.cache
def _adding() -> Prepared:
    """Claim the event and insert the PENDING order with its first history row unless it exists."""
    values = {
        "id": bindparam("order_id", type_=orders.c.id.type),
        "user_id": bindparam("user_id", type_=orders.c.user_id.type),
        "total": cast(bindparam("total", type_=orders.c.total.type), orders.c.total.type),
        "status": literal(OrderStatus.PENDING.value, String()),
    }
    claimed = _claim(None)
    fresh = select(*values.values()).where(exists(claimed.select()))
    stored = (
        insert(orders)
        .from_select(list(values), fresh)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(orders.c.id, orders.c.status)
        .cte("stored")
    )
    history = _history(select(stored.c.id, null(), stored.c.status))
    outcome = select(exists(claimed.select()), exists(stored.select())).add_cte(history.cte("history"))
    return Prepared("payflow_orders_add", outcome)


@functools.cache
def _moving(target: OrderStatus) -> Prepared:
    """Lock the order and read its status in the statement that changes it (no read-then-write race);
    claim the event if the order exists; if claimed, move it to `target` with a history row when the
    transitions table allows."""
    order_id = bindparam("order_id", type_=orders.c.id.type)
    before = select(orders.c.id, orders.c.status).where(orders.c.id == order_id).with_for_update().cte()
    claimed = _claim(before)
    moved = (
        update(orders)
        .where(
            orders.c.id == before.c.id,
            before.c.status.in_([s.value for s in sources_of(target)]),
            exists(claimed.select()),
        )
        .values(status=target.value, updated_at=func.now())
        .returning(orders.c.id, before.c.status.label("previous"), orders.c.status)
        .cte("moved")
    )
    history = _history(select(moved.c.id, moved.c.previous, moved.c.status))
    current = select(before.c.status).scalar_subquery()
    outcome = select(exists(claimed.select()), exists(moved.select()), current)
    return Prepared(f"payflow_orders_move_to_{target.value.lower()}", outcome.add_cte(history.cte("history")))


def _claim(only_if_found: CTE | None) -> CTE:
    """Insert the event into the inbox (only when `only_if_found` has a row, if given); the CTE has a
    row when the event was not there yet."""
    event = select(
        bindparam("event_id", type_=processed_events.c.event_id.type),
        bindparam("event_type", type_=processed_events.c.event_type.type),
    )
    if only_if_found is not None:
        event = event.where(exists(only_if_found.select()))
    statement = (
        insert(processed_events)
        .from_select(["event_id", "event_type"], event)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(processed_events.c.event_id)
    )
    return statement.cte("claimed")


def _history(changed: Select[Any]) -> Insert:
    """A history row for each (order id, from status, to status) row `changed` yields."""
    why = changed.add_columns(
        bindparam("event_id", type_=UUID(as_uuid=True)),
        bindparam("event_type", type_=String()),
        bindparam("reason", type_=Text()),
    )
    names = ["order_id", "from_status", "to_status", "event_id", "event_type", "reason"]
    return insert(order_history).from_select(names, why)


def _cause(cause: Envelope, reason: str | None) -> dict[str, Any]:
    return {"event_id": cause.id, "event_type": cause.type, "reason": reason}


def _status(value: str | None) -> OrderStatus | None:
    return None if value is None else OrderStatus(value)
