"""The write use cases behind the order routes: create_order and cancel_order."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from decimal import Decimal

from marshmallow import Schema
from sqlalchemy import Engine

from app.contracts import OrderCancelled, OrderCreated
from app.gateway.commands import CANCEL_ORDER, CREATE_ORDER, Reply, accept, earlier_reply, new_command
from app.gateway.errors import OrderNotCancellable, OrderNotFound
from app.gateway.order_schemas import CancelAcceptedSchema, OrderAcceptedSchema
from app.gateway.ports import CommandStore, OrderReads
from app.gateway.reads import run_read

CREATED_MESSAGE = "Order creation request accepted"
CANCELLED_MESSAGE = "Order cancellation request accepted"


def create_order(
    store: CommandStore,
    *,
    user_id: uuid.UUID,
    total: Decimal,
    key: str | None,
    hashed: str,
    correlation_id: str,
) -> Reply:
    """Accept a new order under a fresh id: one command row and one OrderCreated event, atomically."""
    order_id = uuid.uuid4()
    body = schema_of(OrderAcceptedSchema).dump(
        {"order_id": order_id, "message": CREATED_MESSAGE, "status": "PENDING_PAYMENT"}
    )
    event = OrderCreated(order_id, user_id, total).to_envelope(correlation_id)
    reply = accept(store, new_command(CREATE_ORDER, order_id, key, hashed, body), [event])
    return in_field_order(reply, OrderAcceptedSchema)


def cancel_order(
    engine: Engine,
    orders: OrderReads,
    store: CommandStore,
    *,
    order_id: uuid.UUID,
    key: str | None,
    hashed: str,
    correlation_id: str,
) -> Reply:
    """Accept a cancellation of an order that exists (or was accepted and is not stored yet) and can
    still be cancelled; a repeated key replays its first answer whatever the order's state is now."""
    earlier = earlier_reply(store, CANCEL_ORDER, key, hashed)
    if earlier is not None:
        return in_field_order(earlier, CancelAcceptedSchema)
    _check_cancellable(engine, orders, store, order_id)
    body = schema_of(CancelAcceptedSchema).dump({"order_id": order_id, "message": CANCELLED_MESSAGE})
    event = OrderCancelled(order_id).to_envelope(correlation_id)
    reply = accept(store, new_command(CANCEL_ORDER, order_id, key, hashed, body), [event])
    return in_field_order(reply, CancelAcceptedSchema)


def in_field_order(reply: Reply, schema: type[Schema]) -> Reply:
    """The body with its keys in the schema's order: jsonb does not keep key order, so a replay would
    otherwise differ byte-wise from the first answer."""
    body = {key: reply.body[key] for key in _field_order(schema) if key in reply.body}
    return dataclasses.replace(reply, body=body | reply.body)


@functools.cache
def schema_of(kind: type[Schema]) -> Schema:
    """One shared instance per schema class (dump keeps no state): building one per request cost CPU."""
    return kind()


@functools.cache
def _field_order(kind: type[Schema]) -> tuple[str, ...]:
    return tuple(field.data_key or name for name, field in schema_of(kind).dump_fields.items())


def _check_cancellable(engine: Engine, orders: OrderReads, store: CommandStore, order_id: uuid.UUID) -> None:
    order = run_read(engine, lambda conn: orders.get(conn, order_id))
    if order is None:
        if not store.order_was_accepted(order_id):
            raise OrderNotFound(f"Order {order_id} not found")
    elif not orders.is_cancellable(order.status):
        raise OrderNotCancellable(f"Order {order_id} is {order.status} and cannot be cancelled")
