"""/api/payments: read-only, through the payments module's query functions."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.gateway import examples
from app.gateway.blueprint import Blueprint, current_deps
from app.gateway.common_schemas import ErrorSchema, page_meta
from app.gateway.errors import PaymentNotFound
from app.gateway.payment_schemas import (
    PaymentPageSchema,
    PaymentQuerySchema,
    PaymentSchema,
    PaymentStatsSchema,
)
from app.gateway.ports import PaymentRow
from app.gateway.reads import run_read

blp = Blueprint("payments", __name__, url_prefix="/api/payments", description="Payments: read-only")


@blp.route("")
class Payments(MethodView):
    @blp.arguments(PaymentQuerySchema, location="query")
    @blp.response(200, PaymentPageSchema, example=examples.PAYMENT_PAGE)
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid query", example=examples.INVALID_QUERY)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List payments, newest first, optionally by status."""
        deps = current_deps()
        page, limit = query["page"], query["limit"]
        found = run_read(
            deps.engine,
            lambda conn: deps.payments.list(conn, page=page, limit=limit, status=query.get("status")),
        )
        return {"data": found.items, "meta": page_meta(page, limit, found.total)}


@blp.route("/stats")
class PaymentStats(MethodView):
    @blp.response(200, PaymentStatsSchema, example=examples.PAYMENT_STATS)
    def get(self) -> dict[str, Any]:
        """Count and total amount of payments per status."""
        deps = current_deps()
        return {"by_status": run_read(deps.engine, deps.payments.stats)}


@blp.route("/<id:payment_id>")
class PaymentById(MethodView):
    @blp.response(200, PaymentSchema, example=examples.PAYMENT)
    @blp.alt_response(
        404, schema=ErrorSchema, description="No such payment", example=examples.PAYMENT_NOT_FOUND
    )
    def get(self, payment_id: uuid.UUID) -> PaymentRow:
        """One payment."""
        deps = current_deps()
        payment = run_read(deps.engine, lambda conn: deps.payments.get(conn, payment_id))
        if payment is None:
            raise PaymentNotFound(f"Payment {payment_id} not found")
        return payment


@blp.route("/order/<id:order_id>")
class PaymentByOrder(MethodView):
    @blp.response(200, PaymentSchema, example=examples.PAYMENT)
    @blp.alt_response(
        404,
        schema=ErrorSchema,
        description="No payment for this order (yet)",
        example=examples.NO_PAYMENT_FOR_ORDER,
    )
    def get(self, order_id: uuid.UUID) -> PaymentRow:
        """The payment of an order."""
        deps = current_deps()
        payment = run_read(deps.engine, lambda conn: deps.payments.for_order(conn, order_id))
        if payment is None:
            raise PaymentNotFound(f"No payment for order {order_id}")
        return payment
