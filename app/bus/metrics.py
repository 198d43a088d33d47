"""Prometheus metrics of the bus (consumers, relays, outbox backlog), defined once and recorded here."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.bus.backlog import outbox_backlog
from app.contracts import EVENT_TYPES
from app.persistence import is_transient

log = logging.getLogger(__name__)

KNOWN_EVENT_TYPES = frozenset(event_type for event_type, _ in EVENT_TYPES)
PAYMENT_OUTCOMES = frozenset(
    t.removeprefix("payment.") for t in KNOWN_EVENT_TYPES if t.startswith("payment.")
)
UNKNOWN = "unknown"  # malformed or unknown-type messages share one label value (no label explosion)

MESSAGES_PROCESSED = Counter(
    "payflow_messages_processed_total",
    "Messages whose handler succeeded and that were acknowledged.",
    ["queue", "event_type"],
)
MESSAGES_RETRIED = Counter(
    "payflow_messages_retried_total",
    "Messages sent to a retry queue after a failed attempt.",
    ["queue", "event_type", "failure"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "payflow_messages_dead_lettered_total",
    "Messages moved to the dead-letter exchange.",
    ["queue", "event_type", "failure"],
)
HANDLER_SECONDS = Histogram(
    "payflow_handler_duration_seconds",
    "Time a handler took for one message, whatever its outcome.",
    ["queue", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter(
    "payflow_events_published_total",
    "Outbox events the relay published with a broker confirm.",
    ["schema", "event_type"],
)
PAYMENTS = Counter(
    "payflow_payments_total",
    "Payment results by outcome, counted when the payments outbox relays the payment.<outcome> event.",
    ["outcome"],
)
OUTBOX_UNPUBLISHED = Gauge(
    "payflow_outbox_unpublished_events",
    "Outbox rows not yet confirmed by the broker.",
    ["schema"],
    multiprocess_mode="livemax",
)
OUTBOX_OLDEST_AGE = Gauge(
    "payflow_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when the outbox is empty).",
    ["schema"],
    multiprocess_mode="livemax",
)


def event_label(event_type: str | None) -> str:
    """The event type when it is a known contract, else `unknown`."""
    return event_type if event_type in KNOWN_EVENT_TYPES else UNKNOWN


def record_handled(queue: str, context: Mapping[str, str | None], seconds: float) -> None:
    HANDLER_SECONDS.labels(queue, event_label(context.get("event_type"))).observe(seconds)


def record_processed(queue: str, context: Mapping[str, str | None]) -> None:
    MESSAGES_PROCESSED.labels(queue, event_label(context.get("event_type"))).inc()


def record_retried(queue: str, context: Mapping[str, str | None], failure: str) -> None:
    MESSAGES_RETRIED.labels(queue, event_label(context.get("event_type")), failure).inc()


def record_dead_lettered(queue: str, context: Mapping[str, str | None], failure: str) -> None:
    MESSAGES_DEAD_LETTERED.labels(queue, event_label(context.get("event_type")), failure).inc()


def record_published(schema: str, event_type: str) -> None:
    """One relayed event; a payment.<outcome> event also counts as a payment with that outcome."""
    EVENTS_PUBLISHED.labels(schema, event_label(event_type)).inc()
    outcome = event_type.removeprefix("payment.")
    if event_type.startswith("payment.") and outcome in PAYMENT_OUTCOMES:
        PAYMENTS.labels(outcome).inc()


def refresh_outbox_gauges(engine: Engine, schema: str) -> None:
    """Set the backlog gauges of `schema` from the outbox backlog query (run periodically)."""
    try:
        backlog = outbox_backlog(engine, schema)
    except SQLAlchemyError as exc:
        if not is_transient(exc):
            raise
        # An outage is reported by readiness; a traceback every few seconds would only bury it.
        log.warning(
            "outbox gauges of %s not refreshed: database unavailable (%s)", schema, type(exc).__name__
        )
        return
    OUTBOX_UNPUBLISHED.labels(schema).set(backlog.unpublished)
    OUTBOX_OLDEST_AGE.labels(schema).set(backlog.oldest_age_s or 0.0)
