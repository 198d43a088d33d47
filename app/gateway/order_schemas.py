"""The orders resource's HTTP contract: request bodies, query string and response shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.gateway.common_schemas import PageMetaSchema, PageQuerySchema
from app.gateway.fields import Amount, Money, Timestamp

ORDER_STATUSES = ("PENDING", "PAID", "FAILED", "CANCELLED")


class CreateOrderSchema(Schema):
    """POST /api/orders body; unknown fields are refused."""

    user_id = fields.UUID(required=True, data_key="userId")
    total = Money(required=True, metadata={"type": "number", "description": "> 0, <= 1000000.00, 2 decimals"})


class CancelOrderSchema(Schema):
    """PATCH /api/orders/{id} body: the only status a client may set is CANCELLED."""

    status = fields.String(required=True, validate=validate.OneOf(["CANCELLED"]))


class OrderQuerySchema(PageQuerySchema):
    """GET /api/orders filters."""

    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    user_id = fields.UUID(data_key="userId")


class OrderSchema(Schema):
    """An order as clients see it."""

    id = fields.UUID(required=True)
    user_id = fields.UUID(required=True, data_key="userId")
    total = Amount(required=True)
    status = fields.String(required=True, metadata={"enum": list(ORDER_STATUSES)})
    created_at = Timestamp(required=True, data_key="createdAt")
    updated_at = Timestamp(required=True, data_key="updatedAt")


class OrderPageSchema(Schema):
    """A page of orders, newest first."""

    data = fields.List(fields.Nested(OrderSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class OrderAcceptedSchema(Schema):
    """202 answer to a create: the order id generated here; the order itself appears shortly after."""

    order_id = fields.UUID(required=True, data_key="orderId")
    message = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["PENDING_PAYMENT"]})


class CancelAcceptedSchema(Schema):
    """202 answer to a cancel."""

    order_id = fields.UUID(required=True, data_key="orderId")
    message = fields.String(required=True)
