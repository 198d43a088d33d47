"""The orders unit of work: one transaction that locks orders, claims events and saves a batch's plan."""

import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Self

from sqlalchemy import Select, Update, func, select, update

from app.contracts import Incoming, OrderCreated
from app.orders.domain import OrderStatus, Plan
from app.orders.tables import order_history, orders, processed_events
from app.persistence import SqlTransaction, batch_of, claim_events, in_array

_NEW = ("id", "user_id", "total", "status", "created_at")
_MOVED = ("id", "status")
_HISTORY = ("order_id", "from_status", "to_status", "event_id", "event_type", "reason")


class OrdersUnitOfWork(Protocol):
    """What the orders handler needs from storage; nothing is kept unless `commit` is called."""

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def commit(self) -> None: ...

    def lock(self, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrderStatus]:
        """Lock these orders until the transaction ends; the status of each of them that exists."""

    def claim(self, batch: Sequence[Incoming[Any]]) -> set[uuid.UUID]:
        """Record the events as applied; the ids not applied before."""

    def save(self, plan: Plan) -> None: ...


class SqlOrdersUnitOfWork(SqlTransaction):
    """OrdersUnitOfWork on PostgreSQL: a handful of set-based statements per batch, whatever its size."""

    LOCK_SPACE = 1

    def lock(self, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrderStatus]:
        ids = set(order_ids)
        self.lock_orders(ids)  # then the read sees every order a concurrent transaction stored
        rows = self._conn.execute(_reading(), {"ids": list(ids)})
        return {row.id: OrderStatus(row.status) for row in rows}

    def claim(self, batch: Sequence[Incoming[Any]]) -> set[uuid.UUID]:
        return claim_events(self._conn, processed_events, batch)

    def save(self, plan: Plan) -> None:
        created = {message.event.order_id for message in plan.created}
        new = [_stored(message, plan.final[message.event.order_id]) for message in plan.created]
        moved = [
            {"id": order_id, "status": s} for order_id, s in plan.final.items() if order_id not in created
        ]
        self.insert(orders, new, _NEW, "updated_at")
        self.write_batch(_moving(), moved, _MOVED)
        self.insert(order_history, [vars(change) for change in plan.history], _HISTORY, "at")


def _stored(message: Incoming[OrderCreated], status: OrderStatus) -> dict[str, Any]:
    """A new order's row; created_at is when the gateway accepted it (the event's time), so lists show
    orders in the order they were placed, whichever relay published them first."""
    event = message.event
    return {**vars(event), "id": event.order_id, "status": status, "created_at": message.occurred_at}


@functools.cache
def _reading() -> Select[Any]:
    return select(orders.c.id, orders.c.status).where(in_array(orders.c.id, "ids"))


@functools.cache
def _moving() -> Update:
    rows = batch_of(orders, _MOVED)
    moved = update(orders).where(orders.c.id == rows.c.id)
    return moved.values(status=rows.c.status, updated_at=func.clock_timestamp())
