"""/api/payments: read-only, through the payments module's query functions."""

import uuid
from typing import Any

from flask.views import MethodView

from app.gateway import examples
from app.gateway.blueprint import Blueprint, current_deps
from app.gateway.errors import PaymentNotFound
from app.gateway.paging import listed
from app.gateway.schemas import (
    PaymentPageSchema,
    PaymentQuerySchema,
    PaymentSchema,
    PaymentStatsSchema,
)
from app.payments import PaymentView, StatusTotal

blp = Blueprint("payments", __name__, url_prefix="/api/payments", description="Payments: read-only")


@blp.route("")
class Payments(MethodView):
    @blp.arguments(PaymentQuerySchema, location="query")
    @blp.response(200, PaymentPageSchema, example=examples.PAYMENT_PAGE)
    @blp.error(422, "Invalid query, or a page number past the offset cap", examples.INVALID_QUERY)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List payments newest first, by page number or by cursor, optionally by status."""
        deps = current_deps()
        return listed(deps.payments.page, query, "payments", deps.max_page_offset)


@blp.route("/stats")
class PaymentStats(MethodView):
    @blp.response(200, PaymentStatsSchema, example=examples.PAYMENT_STATS)
    def get(self) -> dict[str, list[StatusTotal]]:
        """Count and total amount of payments per status."""
        return {"by_status": current_deps().payments.stats()}


@blp.route("/<id:payment_id>")
class PaymentById(MethodView):
    @blp.response(200, PaymentSchema, example=examples.PAYMENT)
    @blp.error(404, "No such payment", examples.PAYMENT_NOT_FOUND)
    def get(self, payment_id: uuid.UUID) -> PaymentView:
        """One payment."""
        payment = current_deps().payments.get(payment_id)
        if payment is None:
            raise PaymentNotFound(f"Payment {payment_id} not found")
        return payment


@blp.route("/order/<id:order_id>")
class PaymentByOrder(MethodView):
    @blp.response(200, PaymentSchema, example=examples.PAYMENT)
    @blp.error(404, "No payment for this order (yet)", examples.NO_PAYMENT_FOR_ORDER)
    def get(self, order_id: uuid.UUID) -> PaymentView:
        """The payment of an order."""
        payment = current_deps().payments.for_order(order_id)
        if payment is None:
            raise PaymentNotFound(f"No payment for order {order_id}")
        return payment
