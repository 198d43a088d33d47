"""FakeOrdersUnitOfWork: the orders unit of work on an in-memory state that keeps nothing unless committed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Self

from app.contracts import Incoming
from app.orders.domain import Change, OrderStatus, Plan

LOCK_TIMEOUT_S = 10.0


class StorageFailure(Exception):
    """Stands in for the database refusing a write."""


@dataclass(frozen=True)
class StoredOrder:
    user_id: uuid.UUID
    total: Decimal
    status: OrderStatus


@dataclass
class OrdersState:
    """What the fake has committed; `broken_saves` makes that many next saves raise StorageFailure."""

    orders: dict[uuid.UUID, StoredOrder] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)
    claimed: set[uuid.UUID] = field(default_factory=set)
    broken_saves: int = 0
    serial: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def status_of(self, order_id: uuid.UUID) -> OrderStatus | None:
        stored = self.orders.get(order_id)
        return None if stored is None else stored.status

    def history_of(self, order_id: uuid.UUID) -> list[Change]:
        return [change for change in self.history if change.order_id == order_id]


class FakeOrdersUnitOfWork:
    """One transaction on `state`: reads see committed state, writes are staged until `commit`.

    Transactions on one state never overlap (like the row locks of the SQL one, only coarser)."""

    def __init__(self, state: OrdersState) -> None:
        self._state = state
        self._claims: set[uuid.UUID] = set()
        self._plans: list[Plan] = []

    def __enter__(self) -> Self:
        if not self._state.serial.acquire(timeout=LOCK_TIMEOUT_S):
            raise AssertionError("a transaction waited for another one on the same state for too long")
        self._claims, self._plans = set(), []
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._claims, self._plans = set(), []
        self._state.serial.release()

    def lock(self, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrderStatus]:
        stored = self._state.orders
        return {order_id: stored[order_id].status for order_id in order_ids if order_id in stored}

    def claim(self, batch: Sequence[Incoming[Any]]) -> set[uuid.UUID]:
        fresh = {m.id for m in batch if m.id not in self._state.claimed and m.id not in self._claims}
        self._claims |= fresh
        return fresh

    def save(self, plan: Plan) -> None:
        if self._state.broken_saves:
            self._state.broken_saves -= 1
            raise StorageFailure("the database refused the batch")
        existing = [m.event.order_id for m in plan.created if m.event.order_id in self._state.orders]
        if existing:
            raise StorageFailure(f"orders {existing} exist already (primary key)")
        self._plans.append(plan)

    def commit(self) -> None:
        state = self._state
        state.claimed |= self._claims
        for plan in self._plans:
            for event in (message.event for message in plan.created):
                state.orders[event.order_id] = StoredOrder(
                    event.user_id, event.total, plan.final[event.order_id]
                )
            for order_id, status in plan.final.items():
                state.orders[order_id] = replace(state.orders[order_id], status=status)
            state.history.extend(plan.history)
        self._claims, self._plans = set(), []
