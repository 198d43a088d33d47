"""The orders unit of work: one atomic statement holding the inbox claim, the order change and its history."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy import Engine

from app.contracts import Envelope
from app.orders import statements
from app.orders.domain import OrderStatus
from app.persistence import autocommit_connection


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
        was_claimed, was_stored = statements.adding().run(self._conn, params).one()
        return Applied(was_claimed, was_stored, OrderStatus.PENDING if was_stored else None)

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> Applied:
        params = {"order_id": order_id, **_cause(cause, reason)}
        was_claimed, was_moved, status = statements.moving(target).run(self._conn, params).one()
        return Applied(was_claimed, was_moved, target if was_moved else _status(status))


def _cause(cause: Envelope, reason: str | None) -> dict[str, Any]:
    return {"event_id": cause.id, "event_type": cause.type, "reason": reason}


def _status(value: str | None) -> OrderStatus | None:
    return None if value is None else OrderStatus(value)
