"""The payments resource's HTTP contract: query string and response shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.gateway.common_schemas import PageMetaSchema, PageQuerySchema
from app.gateway.fields import Amount, Timestamp

PAYMENT_STATUSES = ("PROCESSING", "APPROVED", "DECLINED", "FAILED", "REFUNDED", "CANCELLED")


class PaymentQuerySchema(PageQuerySchema):
    """GET /api/payments filters."""

    status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))


class PaymentSchema(Schema):
    """A payment as clients see it; `reason` says why it was declined or failed (null otherwise)."""

    id = fields.UUID(required=True)
    order_id = fields.UUID(required=True, data_key="orderId")
    amount = Amount(required=True)
    status = fields.String(required=True, metadata={"enum": list(PAYMENT_STATUSES)})
    reason = fields.String(required=True, allow_none=True)
    created_at = Timestamp(required=True, data_key="createdAt")
    updated_at = Timestamp(required=True, data_key="updatedAt")


class PaymentPageSchema(Schema):
    """A page of payments, newest first."""

    data = fields.List(fields.Nested(PaymentSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class StatusTotalSchema(Schema):
    """Payments in one status."""

    status = fields.String(required=True)
    count = fields.Integer(required=True)
    total_amount = Amount(required=True, data_key="totalAmount")


class PaymentStatsSchema(Schema):
    """GET /api/payments/stats answer, one entry per status in a stable order."""

    by_status = fields.List(fields.Nested(StatusTotalSchema), required=True, data_key="byStatus")
