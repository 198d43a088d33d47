"""The work done for one message on a pool thread: validate, pick the handler, run it in its log context."""

from __future__ import annotations

from collections.abc import Mapping

from app.bus.outcomes import Outcome
from app.contracts import Envelope, EventHandler, UnknownEventType, parse_event
from app.logs import log_context


def handle_message(body: bytes, handlers: Mapping[str, EventHandler]) -> Outcome:
    """Run the handler for the message's event type; every exception becomes the outcome, never escapes."""
    try:
        envelope = Envelope.from_json(body)
    except Exception as exc:  # noqa: BLE001 - the outcome carries it to the main thread
        return Outcome(exc)
    context = _context_of(envelope)
    # Context variables do not cross threads, so they are set here, on the pool thread.
    with log_context(**context):
        try:
            parse_event(envelope)
            handler = handlers.get(envelope.type)
            if handler is None:
                raise UnknownEventType(f"no handler here for event type {envelope.type!r}")
            handler(envelope)
        except Exception as exc:  # noqa: BLE001 - the outcome carries it to the main thread
            return Outcome(exc, context)
    return Outcome(None, context)


def _context_of(envelope: Envelope) -> dict[str, str | None]:
    order_id = envelope.payload.get("orderId")
    return {
        "correlation_id": envelope.correlation_id,
        "event_id": str(envelope.id),
        "event_type": envelope.type,
        "order_id": order_id if isinstance(order_id, str) else None,
    }
