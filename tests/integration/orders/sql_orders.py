"""Applying batches with the orders module built on PostgreSQL, and reading back what they did."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select

from app import orders
from app.contracts import Incoming, OrderCreated
from app.orders import OrdersUnitOfWork
from app.orders.tables import order_counts, order_history, processed_events
from app.orders.tables import orders as orders_table

History = list[tuple[str | None, str, str | None]]


def apply(
    engine: Engine, *batch: Incoming[Any], unit_of_work: Callable[[], OrdersUnitOfWork] | None = None
) -> frozenset[uuid.UUID]:
    """One batch through the module's handler (every event type maps to the same batch handler)."""
    module = orders.build(engine, unit_of_work=unit_of_work)
    return module.handlers[OrderCreated](list(batch))


def status_of(engine: Engine, order_id: uuid.UUID) -> str | None:
    view = orders.OrderQueries(engine).get(order_id)
    return None if view is None else view.status.value


def history_of(engine: Engine, order_id: uuid.UUID) -> History:
    query = (
        select(order_history.c.from_status, order_history.c.to_status, order_history.c.reason)
        .where(order_history.c.order_id == order_id)
        .order_by(order_history.c.id)
    )
    with engine.connect() as conn:
        return [(row[0], row[1], row[2]) for row in conn.execute(query)]


def claimed(engine: Engine, *batch: Incoming[Any]) -> set[uuid.UUID]:
    """Which of these events the orders inbox recorded as applied."""
    query = select(processed_events.c.event_id).where(processed_events.c.event_id.in_([m.id for m in batch]))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def counted(engine: Engine) -> dict[str, int]:
    """Status -> n of the trigger-kept order_counts (statuses counted zero left out)."""
    with engine.connect() as conn:
        return {status: n for status, n in conn.execute(select(order_counts.c.status, order_counts.c.n)) if n}


def ground_truth(engine: Engine) -> dict[str, int]:
    """Status -> count(*) over the orders themselves."""
    query = select(orders_table.c.status, func.count()).group_by(orders_table.c.status)
    with engine.connect() as conn:
        return {status: n for status, n in conn.execute(query)}
