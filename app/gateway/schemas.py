"""The HTTP contract: request bodies, query strings and answers of every resource, and the error body."""

from marshmallow import Schema, fields, validate

from app.gateway.fields import Amount, Money, Timestamp
from app.gateway.paging import Cursor, PageMetaSchema, PageQuerySchema
from app.orders import OrderStatus
from app.payments import PaymentStatus


class ErrorSchema(Schema):
    """The one error body of the whole API."""

    status_code = fields.Integer(required=True, data_key="statusCode")
    error = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Validation errors by field (validation failures only)"},
    )
    correlation_id = fields.String(required=True, data_key="correlationId")


class LivenessSchema(Schema):
    status = fields.String(required=True)


class ReplicaSchema(Schema):
    reads = fields.String(required=True, metadata={"description": "replica, or primary (see problem)"})
    problem = fields.String(allow_none=True, metadata={"description": "why reads go to the primary"})
    lag_bytes = fields.Integer(allow_none=True, data_key="lagBytes", metadata={"description": "to replay"})
    lag_s = fields.Float(allow_none=True, data_key="lagSeconds", metadata={"description": "0 when caught up"})


class ReadinessSchema(Schema):
    """`status` plus one entry per dependency: "ok" or what is wrong with it."""

    status = fields.String(required=True, metadata={"description": "ok or unavailable"})
    database = fields.String()
    broker = fields.String()
    migrations = fields.String()
    replica = fields.Nested(ReplicaSchema)


class CreateOrderSchema(Schema):
    """POST /api/orders body; unknown fields are refused."""

    user_id = fields.UUID(required=True, data_key="userId")
    total = Money(required=True, metadata={"description": "> 0, <= 1000000.00, 2 decimals"})


class CancelOrderSchema(Schema):
    """PATCH /api/orders/{id} body: the only status a client may set is CANCELLED."""

    status = fields.String(required=True, validate=validate.OneOf([OrderStatus.CANCELLED.value]))


class CancelRouteSchema(Schema):
    """PATCH /api/orders/{id}/cancel needs no body: none, `{}` or the seed's `{"status": "CANCELLED"}`;
    anything else is refused."""

    status = fields.String(validate=validate.OneOf([OrderStatus.CANCELLED.value]))
    error_messages = {  # noqa: RUF012 - marshmallow reads it as a class attribute
        "type": 'This route takes no body, {} or {"status": "CANCELLED"}',
        "unknown": 'Unknown field: this route takes no body, {} or {"status": "CANCELLED"}',
    }


class OrderQuerySchema(PageQuerySchema):
    after = Cursor("orders")
    status = fields.Enum(OrderStatus, by_value=fields.String)
    user_id = fields.UUID(data_key="userId")


class OrderSchema(Schema):
    id = fields.UUID(required=True)
    user_id = fields.UUID(required=True, data_key="userId")
    total = Amount(required=True)
    status = fields.Enum(OrderStatus, required=True, by_value=fields.String)
    created_at = Timestamp(required=True, data_key="createdAt")
    updated_at = Timestamp(required=True, data_key="updatedAt")


class OrderPageSchema(Schema):
    data = fields.List(fields.Nested(OrderSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class OrderAcceptedSchema(Schema):
    """202 answer to a create: the order id generated here; the order itself appears shortly after."""

    order_id = fields.UUID(required=True, data_key="orderId")
    message = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["PENDING_PAYMENT"]})


class CancelAcceptedSchema(Schema):
    order_id = fields.UUID(required=True, data_key="orderId")
    message = fields.String(required=True)


class PaymentQuerySchema(PageQuerySchema):
    after = Cursor("payments")
    status = fields.Enum(PaymentStatus, by_value=fields.String)


class PaymentSchema(Schema):
    """`reason` says why a payment was declined or failed (null otherwise)."""

    id = fields.UUID(required=True)
    order_id = fields.UUID(required=True, data_key="orderId")
    amount = Amount(required=True)
    status = fields.Enum(PaymentStatus, required=True, by_value=fields.String)
    reason = fields.String(required=True, allow_none=True)
    created_at = Timestamp(required=True, data_key="createdAt")
    updated_at = Timestamp(required=True, data_key="updatedAt")


class PaymentPageSchema(Schema):
    data = fields.List(fields.Nested(PaymentSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class StatusTotalSchema(Schema):
    status = fields.Enum(PaymentStatus, required=True, by_value=fields.String)
    count = fields.Integer(required=True)
    total_amount = Amount(required=True, data_key="totalAmount")


class PaymentStatsSchema(Schema):
    """One entry per status, in a stable order."""

    by_status = fields.List(fields.Nested(StatusTotalSchema), required=True, data_key="byStatus")
