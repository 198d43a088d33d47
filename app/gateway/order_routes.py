"""/api/orders: reads through the orders module's query functions, writes as accepted commands."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, request
from flask.views import MethodView

from app.gateway import examples
from app.gateway.blueprint import (
    IDEMPOTENCY_HEADER_DOC,
    Blueprint,
    command_store,
    current_deps,
    reply_response,
)
from app.gateway.commands import idempotency_key, request_hash
from app.gateway.common_schemas import ErrorSchema, page_meta
from app.gateway.correlation import correlation_id
from app.gateway.errors import OrderNotFound
from app.gateway.order_commands import cancel_order, create_order
from app.gateway.order_schemas import (
    CancelAcceptedSchema,
    CancelOrderSchema,
    CreateOrderSchema,
    OrderAcceptedSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
)
from app.gateway.ports import OrderRow
from app.gateway.reads import run_read

blp = Blueprint(
    "orders", __name__, url_prefix="/api/orders", description="Orders: query them, create and cancel"
)


@blp.route("")
class Orders(MethodView):
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderPageSchema, example=examples.ORDER_PAGE)
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid query", example=examples.INVALID_QUERY)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List orders, newest first, optionally by status and userId."""
        deps = current_deps()
        page, limit = query["page"], query["limit"]
        found = run_read(
            deps.engine,
            lambda conn: deps.orders.list(
                conn, page=page, limit=limit, status=query.get("status"), user_id=query.get("user_id")
            ),
        )
        return {"data": found.items, "meta": page_meta(page, limit, found.total)}

    @blp.arguments(CreateOrderSchema, example=examples.CREATE_ORDER)
    @blp.response(202, OrderAcceptedSchema, example=examples.ORDER_ACCEPTED)
    @blp.alt_response(
        422,
        schema=ErrorSchema,
        description="Invalid body, or Idempotency-Key reused",
        example=examples.INVALID_BODY,
    )
    @blp.doc(**IDEMPOTENCY_HEADER_DOC)
    def post(self, body: dict[str, Any]) -> Response:
        """Accept an order; it is created and paid asynchronously (Location points at it)."""
        key = idempotency_key(request.headers.get("Idempotency-Key"))
        hashed = request_hash(
            "POST", request.path, {"userId": str(body["user_id"]), "total": str(body["total"])}
        )
        reply = create_order(
            command_store(),
            user_id=body["user_id"],
            total=body["total"],
            key=key,
            hashed=hashed,
            correlation_id=correlation_id(),
        )
        return reply_response(reply, f"/api/orders/{reply.body['orderId']}")


def _documented_as_a_cancellation(view: Callable[..., Response]) -> Callable[..., Response]:
    """The responses both cancel routes share: 202, 404, 409, and the Idempotency-Key header."""
    documented = blp.doc(**IDEMPOTENCY_HEADER_DOC)(view)
    documented = blp.alt_response(
        409,
        schema=ErrorSchema,
        description="Order can no longer be cancelled",
        example=examples.NOT_CANCELLABLE,
    )(documented)
    documented = blp.alt_response(
        404, schema=ErrorSchema, description="Order never created", example=examples.ORDER_NOT_FOUND
    )(documented)
    return blp.response(202, CancelAcceptedSchema, example=examples.CANCEL_ACCEPTED)(documented)


@blp.route("/<id:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema, example=examples.ORDER)
    @blp.alt_response(404, schema=ErrorSchema, description="No such order", example=examples.ORDER_NOT_FOUND)
    def get(self, order_id: uuid.UUID) -> OrderRow:
        """One order."""
        deps = current_deps()
        order = run_read(deps.engine, lambda conn: deps.orders.get(conn, order_id))
        if order is None:
            raise OrderNotFound(f"Order {order_id} not found")
        return order

    @blp.arguments(CancelOrderSchema, example=examples.CANCEL_ORDER)
    @_documented_as_a_cancellation
    def patch(self, body: dict[str, Any], order_id: uuid.UUID) -> Response:
        """Cancel an order by setting its status to CANCELLED (the only status a client may set)."""
        return _cancel(order_id, {"status": body["status"]})


@blp.route("/<id:order_id>/cancel")
class OrderCancellation(MethodView):
    @_documented_as_a_cancellation
    def patch(self, order_id: uuid.UUID) -> Response:
        """Cancel an order (no body needed)."""
        return _cancel(order_id, {})


def _cancel(order_id: uuid.UUID, body: dict[str, Any]) -> Response:
    deps = current_deps()
    key = idempotency_key(request.headers.get("Idempotency-Key"))
    # The rule and the parsed id, not the raw path, so an id spelled in upper case is the same request.
    hashed = request_hash("PATCH", str(request.url_rule), {"orderId": str(order_id), **body})
    reply = cancel_order(
        deps.engine,
        deps.orders,
        command_store(),
        order_id=order_id,
        key=key,
        hashed=hashed,
        correlation_id=correlation_id(),
    )
    return reply_response(reply, f"/api/orders/{order_id}")
