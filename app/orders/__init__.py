"""Orders module: the order lifecycle, its batch handler and its read side (owns the `orders` schema)."""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from app.contracts import BatchHandler, Event
from app.orders.domain import TARGETS, OrderStatus, is_cancellable
from app.orders.handlers import apply_batch
from app.orders.queries import OrderQueries, OrderView
from app.orders.tables import SCHEMA
from app.orders.unit_of_work import OrdersUnitOfWork, SqlOrdersUnitOfWork
from app.persistence import Connects

HANDLED: frozenset[type[Event]] = frozenset(TARGETS)


@dataclass(frozen=True)
class Orders:
    """All the rest of the system may use of the orders module."""

    handlers: Mapping[type[Event], BatchHandler]
    queries: OrderQueries


def build(
    engine: Engine,
    *,
    reads: Connects | None = None,
    unit_of_work: Callable[[], OrdersUnitOfWork] | None = None,
) -> Orders:
    """The module on `engine` (writes) and `reads` (queries); one handler, so a batch is one transaction."""
    handler = functools.partial(apply_batch, unit_of_work or functools.partial(SqlOrdersUnitOfWork, engine))
    return Orders(dict.fromkeys(TARGETS, handler), OrderQueries(reads or engine))
