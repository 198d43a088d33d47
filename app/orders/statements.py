"""The orders module's SQL statements, built once and prepared per session: one per event kind."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
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

from app.orders.domain import OrderStatus, sources_of
from app.orders.tables import order_history, orders, processed_events
from app.persistence import Prepared, claim_statement


@functools.cache
def adding() -> Prepared:
    """Claim the event and insert the PENDING order with its first history row unless it exists."""
    values = {
        "id": bindparam("order_id", type_=orders.c.id.type),
        "user_id": bindparam("user_id", type_=orders.c.user_id.type),
        "total": cast(bindparam("total", type_=orders.c.total.type), orders.c.total.type),
        "status": literal(OrderStatus.PENDING.value, String()),
    }
    claimed = claim_statement(processed_events).cte("claimed")
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
def moving(target: OrderStatus) -> Prepared:
    """Lock the order and read its status in the statement that changes it (no read-then-write race);
    claim the event if the order exists; if claimed, move it to `target` with a history row when the
    transitions table allows."""
    order_id = bindparam("order_id", type_=orders.c.id.type)
    before = select(orders.c.id, orders.c.status).where(orders.c.id == order_id).with_for_update().cte()
    claimed = claim_statement(processed_events, only_if=before).cte("claimed")
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


def _history(changed: Select[Any]) -> Insert:
    """A history row for each (order id, from status, to status) row `changed` yields."""
    why = changed.add_columns(
        bindparam("event_id", type_=UUID(as_uuid=True)),
        bindparam("event_type", type_=String()),
        bindparam("reason", type_=Text()),
    )
    names = ["order_id", "from_status", "to_status", "event_id", "event_type", "reason"]
    return insert(order_history).from_select(names, why)
