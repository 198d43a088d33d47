"""Prometheus metrics of the bus (consumers, relays, outbox backlog), each defined once here."""

from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram

from app.contracts import EVENT_TYPES

KNOWN_EVENT_TYPES = frozenset(event_type for event_type, _ in EVENT_TYPES)
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
BATCH_SECONDS = Histogram(
    "payflow_batch_duration_seconds",
    "Time a worker took to apply one batch of messages, whatever its outcome.",
    ["queue"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BATCH_SIZE = Histogram(
    "payflow_batch_size",
    "Messages in one batch a worker applied.",
    ["queue"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
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

QUEUE_MESSAGES = Gauge(
    "payflow_queue_messages",
    "Messages ready in each queue of the topology, payflow.unroutable included (read from the broker).",
    ["queue"],
    multiprocess_mode="livemax",
)
RELEASES_OWED = Gauge(
    "payflow_payment_releases_owed",
    "Payments the sweeper failed that may still hold money at the provider: the releases it owes.",
    multiprocess_mode="livemax",
)
RELEASES_OWED_OLDEST_AGE = Gauge(
    "payflow_payment_releases_owed_oldest_age_seconds",
    "How long the oldest owed release has waited (0 when none is owed).",
    multiprocess_mode="livemax",
)


def refresh_release_gauges(read: Callable[[], tuple[int, float | None]]) -> None:
    """Set the owed-release gauges from `read`: (how many, the oldest's age in seconds or None)."""
    count, oldest_age_s = read()
    RELEASES_OWED.set(count)
    RELEASES_OWED_OLDEST_AGE.set(oldest_age_s or 0.0)


def event_label(event_type: str | None) -> str:
    return event_type if event_type in KNOWN_EVENT_TYPES else UNKNOWN


def record_published(schema: str, event_type: str) -> None:
    """One relayed event; a known payment.<outcome> event also counts as a payment with that outcome."""
    EVENTS_PUBLISHED.labels(schema, event_label(event_type)).inc()
    if event_type.startswith("payment.") and event_type in KNOWN_EVENT_TYPES:
        PAYMENTS.labels(event_type.removeprefix("payment.")).inc()
