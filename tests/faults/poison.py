"""Poison messages for the dead-letter test: each says where it goes and which error it must die of."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.faults.injection import RawMessage

ORDERS_INBOX = "orders.inbox"
PAYMENTS_INBOX = "payments.inbox"


@dataclass(frozen=True)
class Poison:
    """A message that can never succeed, the queues it reaches, the error and attempts it must die with."""

    message: RawMessage
    queues: tuple[str, ...]
    error: str
    attempts: int


def envelope(
    event_type: str, payload: dict[str, Any], *, version: int = 1, correlation_id: str = "poison"
) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": version,
            "occurredAt": datetime.now(UTC).isoformat(),
            "correlationId": correlation_id,
            "payload": payload,
        }
    )


def order_created_payload() -> dict[str, str]:
    return {"orderId": str(uuid.uuid4()), "userId": str(uuid.uuid4()), "total": "12.50"}


def via(exchange: str, routing_key: str, body: bytes | str) -> RawMessage:
    """Published to an exchange like the system's own events, so every bound queue gets a copy."""
    raw = body.encode() if isinstance(body, str) else body
    return RawMessage(raw, exchange, routing_key, str(uuid.uuid4()))


def poison_batch(max_attempts: int) -> list[Poison]:
    """One of each kind: malformed, unknown type, unknown version, invalid payload or id, never applicable."""
    both = (ORDERS_INBOX, PAYMENTS_INBOX)
    nobody = {"paymentId": str(uuid.uuid4()), "orderId": str(uuid.uuid4()), "amount": "9.99"}
    nul_correlation = envelope("order.created", order_created_payload(), correlation_id="bad\x00id")
    return [
        Poison(RawMessage.to_queue(ORDERS_INBOX, b"{not json"), (ORDERS_INBOX,), "message is not JSON", 1),
        Poison(via("gateway.events", "order.created", b"\xff\xfe garbage"), both, "message is not JSON", 1),
        Poison(
            RawMessage.to_queue(PAYMENTS_INBOX, envelope("order.exploded", {})),
            (PAYMENTS_INBOX,),
            "UnknownEventType",
            1,
        ),
        Poison(
            RawMessage.to_queue(ORDERS_INBOX, envelope("order.created", order_created_payload(), version=9)),
            (ORDERS_INBOX,),
            "UnknownEventType",
            1,
        ),
        Poison(
            via("gateway.events", "order.created", envelope("order.created", {"orderId": "nope"})),
            both,
            "ContractError: payload field 'orderId'",
            1,
        ),
        # A payment result for an order that never existed: NotYetApplicable until its retries run out.
        Poison(
            via("payments.events", "payment.approved", envelope("payment.approved", nobody)),
            (ORDERS_INBOX,),
            "NotYetApplicable",
            2 * max_attempts,
        ),
        # A NUL in an id: PostgreSQL could not store it, so the contract refuses it before any handler.
        Poison(
            RawMessage.to_queue(PAYMENTS_INBOX, nul_correlation),
            (PAYMENTS_INBOX,),
            "ContractError: envelope field 'correlationId'",
            1,
        ),
    ]
