"""The orders unit of work: one transaction holding the inbox claim, the order change and its history."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from app.contracts import Envelope
from app.orders.domain import OrderStatus, sources_of
from app.orders.tables import order_history, orders, processed_events
from app.persistence import SqlTransaction, claim_event


class OrdersUnitOfWork(Protocol):
    """What the orders handlers need from storage; nothing is kept unless `commit` is called."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def claim(self, envelope: Envelope) -> bool:
        """Record the event as applied; False when it already was."""
        ...

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> bool:
        """Store a PENDING order (and its first history row) unless it exists; True when stored."""
        ...

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> bool:
        """Move the order to `target` if the transitions table allows it now; True when it moved."""
        ...

    def order_status(self, order_id: uuid.UUID) -> OrderStatus | None:
        """The order's current status, or None when it is not stored."""
        ...


class SqlOrdersUnitOfWork(SqlTransaction):
    """OrdersUnitOfWork on PostgreSQL; a rollback happens on exit unless committed."""

    def claim(self, envelope: Envelope) -> bool:
        return claim_event(self._conn, processed_events, envelope.id, envelope.type)

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> bool:
        statement = (
            insert(orders)
            .values(id=order_id, user_id=user_id, total=total, status=OrderStatus.PENDING.value)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(orders.c.id)
        )
        stored = self._conn.execute(statement).first() is not None
        if stored:
            self._record(order_id, None, OrderStatus.PENDING, cause, None)
        return stored

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> bool:
        # Lock the row and read its status in the same statement that changes it: no read-then-write race.
        before = select(orders.c.id, orders.c.status).where(orders.c.id == order_id).with_for_update().cte()
        statement = (
            update(orders)
            .where(orders.c.id == before.c.id, before.c.status.in_([s.value for s in sources_of(target)]))
            .values(status=target.value, updated_at=func.now())
            .returning(before.c.status)
        )
        previous = self._conn.execute(statement).scalar_one_or_none()
        if previous is None:
            return False
        self._record(order_id, OrderStatus(previous), target, cause, reason)
        return True

    def order_status(self, order_id: uuid.UUID) -> OrderStatus | None:
        status = self._conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar()
        return None if status is None else OrderStatus(status)

    def _record(
        self,
        order_id: uuid.UUID,
        previous: OrderStatus | None,
        target: OrderStatus,
        cause: Envelope,
        reason: str | None,
    ) -> None:
        row = {
            "order_id": order_id,
            "from_status": None if previous is None else previous.value,
            "to_status": target.value,
            "event_id": cause.id,
            "event_type": cause.type,
            "reason": reason,
        }
        self._conn.execute(order_history.insert().values(**row))
