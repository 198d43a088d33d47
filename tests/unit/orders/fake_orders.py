"""FakeOrdersUnitOfWork: the orders unit of work on dictionaries, with commit and rollback."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Self

from app.contracts import Envelope
from app.orders.domain import OrderStatus, can_move
from app.orders.unit_of_work import Applied


@dataclass
class HistoryRow:
    order_id: uuid.UUID
    from_status: OrderStatus | None
    to_status: OrderStatus
    event_type: str
    reason: str | None


@dataclass
class OrdersState:
    """What the fake has committed."""

    statuses: dict[uuid.UUID, OrderStatus] = field(default_factory=dict)
    totals: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    history: list[HistoryRow] = field(default_factory=list)
    inbox: set[uuid.UUID] = field(default_factory=set)

    def history_of(self, order_id: uuid.UUID) -> list[HistoryRow]:
        return [row for row in self.history if row.order_id == order_id]


class FakeOrdersUnitOfWork:
    """Works on a copy of the committed state; `commit` publishes the copy."""

    def __init__(self, state: OrdersState) -> None:
        self.committed = state
        self._work = OrdersState()

    def __enter__(self) -> Self:
        self._work = copy.deepcopy(self.committed)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._work = OrdersState()

    def commit(self) -> None:
        self.committed.__dict__.update(copy.deepcopy(self._work).__dict__)

    def add_order(self, order_id: uuid.UUID, user_id: uuid.UUID, total: Decimal, cause: Envelope) -> Applied:
        claimed = self._claim(cause)
        if order_id in self._work.statuses:
            return Applied(claimed, False, None)
        self._work.statuses[order_id] = OrderStatus.PENDING
        self._work.totals[order_id] = total
        self._work.history.append(HistoryRow(order_id, None, OrderStatus.PENDING, cause.type, None))
        return Applied(claimed, True, OrderStatus.PENDING)

    def move_order(
        self, order_id: uuid.UUID, target: OrderStatus, cause: Envelope, reason: str | None
    ) -> Applied:
        claimed = self._claim(cause)
        current = self._work.statuses.get(order_id)
        if current is None or not can_move(current, target):
            return Applied(claimed, False, current)
        self._work.statuses[order_id] = target
        self._work.history.append(HistoryRow(order_id, current, target, cause.type, reason))
        return Applied(claimed, True, target)

    def _claim(self, envelope: Envelope) -> bool:
        fresh = envelope.id not in self._work.inbox
        self._work.inbox.add(envelope.id)
        return fresh


def fake_uow_factory(state: OrdersState) -> Callable[[], FakeOrdersUnitOfWork]:
    """A factory handing out fresh units of work over one shared committed state."""
    return lambda: FakeOrdersUnitOfWork(state)
