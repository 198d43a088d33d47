"""Commands as the gateway builds them, and reading the gateway's commands table back."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from app.contracts import Envelope, OrderCancelled, OrderCreated
from app.gateway import OUTBOX, Command
from app.gateway.commands import CANCEL_ORDER, CREATE_ORDER, Submission, new_command


def creation(
    key: str | None = None, total: str = "12.50", order_id: uuid.UUID | None = None, api_key_id: str = ""
) -> tuple[Command, Envelope]:
    """A create_order command answered 202, with its OrderCreated event, sent with the API key named."""
    order_id = order_id or uuid.uuid4()
    body = {
        "orderId": str(order_id),
        "message": "Order creation request accepted",
        "status": "PENDING_PAYMENT",
    }
    sent = Submission.of(key, "POST /api/orders", {"total": total}, "corr-gateway", api_key_id)
    event = OrderCreated(order_id=order_id, user_id=uuid.uuid4(), total=Decimal(total))
    return new_command(CREATE_ORDER, order_id, sent, body), event.to_envelope(sent.correlation_id)


def cancellation(order_id: uuid.UUID, key: str | None = None) -> tuple[Command, Envelope]:
    """A cancel_order command answered 202, with its OrderCancelled event."""
    body = {"orderId": str(order_id), "message": "Order cancellation request accepted"}
    sent = Submission.of(key, "PATCH /api/orders/<id:order_id>/cancel", {}, "corr-gateway")
    event = OrderCancelled(order_id=order_id).to_envelope(sent.correlation_id)
    return new_command(CANCEL_ORDER, order_id, sent, body), event


def rows(engine: Engine, **where: Any) -> list[Any]:
    """Every commands row matching the column values given, in seq order."""
    query = select(OUTBOX).where(*(OUTBOX.c[name] == value for name, value in where.items()))
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(OUTBOX.c.seq)))
