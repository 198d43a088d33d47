"""/api/orders: reads through the orders module's query functions, writes as accepted commands."""

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, request
from flask.views import MethodView

from app.gateway import examples
from app.gateway.auth import api_key_id
from app.gateway.blueprint import Blueprint, current_deps
from app.gateway.commands import MAX_KEY_LENGTH, Reply, Submission, cancel_order, create_order
from app.gateway.correlation import correlation_id
from app.gateway.errors import OrderNotFound
from app.gateway.paging import listed
from app.gateway.schemas import (
    CancelAcceptedSchema,
    CancelOrderSchema,
    CancelRouteSchema,
    CreateOrderSchema,
    OrderAcceptedSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
)
from app.orders import OrderView

blp = Blueprint(
    "orders", __name__, url_prefix="/api/orders", description="Orders: query them, create and cancel"
)
IDEMPOTENCY_HEADER: dict[str, Any] = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -+\\--~]+$"},
    "description": "Retrying with the same key and body replays the first answer (kept >= 24 h). Printable "
    "ASCII without a comma, sent once (a header sent twice arrives joined by commas, and is refused).",
}


@blp.route("")
class Orders(MethodView):
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderPageSchema, example=examples.ORDER_PAGE)
    @blp.error(422, "Invalid query, or a page number past the offset cap", examples.INVALID_QUERY)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List orders newest first, by page number or by cursor, optionally by status and userId."""
        deps = current_deps()
        return listed(deps.orders.page, query, "orders", deps.max_page_offset)

    @blp.arguments(CreateOrderSchema, example=examples.CREATE_ORDER)
    @blp.response(202, OrderAcceptedSchema, example=examples.ORDER_ACCEPTED)
    @blp.error(422, "Invalid body, or Idempotency-Key reused", examples.INVALID_BODY)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, body: dict[str, Any]) -> Response:
        """Accept an order; it is created and paid asynchronously (Location points at it)."""
        sent = _submission({"userId": str(body["user_id"]), "total": str(body["total"])})
        return _answer(create_order(current_deps().commands, body["user_id"], body["total"], sent))


def _documented_as_a_cancellation(view: Callable[..., Response]) -> Callable[..., Response]:
    """The answers both cancel routes share: 202, 404, 409, and the Idempotency-Key header."""
    documented = blp.doc(parameters=[IDEMPOTENCY_HEADER])(view)
    documented = blp.error(409, "Order can no longer be cancelled", examples.NOT_CANCELLABLE)(documented)
    documented = blp.error(404, "Order never created", examples.ORDER_NOT_FOUND)(documented)
    return blp.response(202, CancelAcceptedSchema, example=examples.CANCEL_ACCEPTED)(documented)


@blp.route("/<id:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema, example=examples.ORDER)
    @blp.error(404, "No such order", examples.ORDER_NOT_FOUND)
    def get(self, order_id: uuid.UUID) -> OrderView:
        """One order."""
        order = current_deps().orders.get(order_id)
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
    # Parsed, though empty, so that a body the client meant something by is refused, not ignored.
    @blp.arguments(CancelRouteSchema, required=False, example={}, description="None needed; see the schema")
    @blp.error(422, "Another body, or Idempotency-Key reused", examples.BODY_NOT_EMPTY)
    @_documented_as_a_cancellation
    def patch(self, _: dict[str, Any], order_id: uuid.UUID) -> Response:
        """Cancel an order (no body needed; `{}` and `{"status": "CANCELLED"}` are accepted too)."""
        return _cancel(order_id, {})


def _cancel(order_id: uuid.UUID, body: dict[str, Any]) -> Response:
    deps, sent = current_deps(), _submission({"orderId": str(order_id), **body})
    return _answer(cancel_order(deps.command_orders or deps.orders, deps.commands, order_id, sent))


def _submission(fields: dict[str, Any]) -> Submission:
    # The route's rule and the parsed values, not the raw path: an id in upper case is the same request.
    route = f"{request.method} {request.url_rule}"
    key = request.headers.get("Idempotency-Key")
    return Submission.of(key, route, fields, correlation_id(), api_key_id())


def _answer(reply: Reply) -> Response:
    """A command's answer, the same bytes when replayed (then marked Idempotent-Replayed)."""
    command = reply.command
    response = Response(command.response_body, command.response_status, mimetype="application/json")
    response.headers["Location"] = f"/api/orders/{command.order_id}"
    if reply.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
