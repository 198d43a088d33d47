"""Settling a handled message on the consumer's thread: ack, or publish a retry/dead-letter copy, then ack."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.bus import metrics
from app.bus.outcomes import Failure, Outcome, describe, retry_delay_ms, should_dead_letter
from app.bus.publisher import KombuPublisher, body_bytes
from app.bus.topology import DEAD_LETTERS, retry_queue_name
from app.logs import log_context

log = logging.getLogger(__name__)

ATTEMPTS = "x-attempts"
ORIGINAL_EXCHANGE = "x-original-exchange"
ORIGINAL_ROUTING_KEY = "x-original-routing-key"
ORIGINAL_QUEUE = "x-original-queue"
ERROR = "x-error"
DEAD_LETTERED_AT = "x-dead-lettered-at"
# Broker bookkeeping that must not follow a copy around (it would only grow, and feed cycle detection).
_DROPPED = frozenset(
    f"x-{prefix}-{part}"
    for prefix in ("first-death", "last-death")
    for part in ("exchange", "queue", "reason")
) | {"x-death"}


@dataclass(frozen=True)
class RetryPolicy:
    """The queue being consumed and how failures on it are retried."""

    queue: str
    max_attempts: int
    retry_delays_ms: tuple[int, ...]


def attempts_so_far(message: Any) -> int:
    """Attempts recorded on the message (0 for a first delivery); garbage counts as 0."""
    value = (message.headers or {}).get(ATTEMPTS, 0)
    return value if isinstance(value, int) and value >= 0 else 0


class Settler:
    """Touches kombu messages, so it must only run on the thread that owns the connection."""

    def __init__(self, publisher: KombuPublisher, policy: RetryPolicy) -> None:
        self._publisher = publisher
        self._policy = policy

    def settle(self, message: Any, outcome: Outcome) -> None:
        failure = outcome.failure
        if failure is not None and outcome.error is not None:
            attempt = attempts_so_far(message) + 1
            with log_context(**outcome.context):
                if should_dead_letter(failure, attempt, self._policy.max_attempts):
                    self._dead_letter(message, outcome.error, attempt, failure)
                    metrics.record_dead_lettered(self._policy.queue, outcome.context, failure.value)
                else:
                    self._retry(message, outcome.error, attempt, failure)
                    metrics.record_retried(self._policy.queue, outcome.context, failure.value)
        else:
            metrics.record_processed(self._policy.queue, outcome.context)
        # Only after the copy is confirmed: a crash in between redelivers, never loses.
        message.ack()

    def _retry(self, message: Any, error: BaseException, attempt: int, failure: Failure) -> None:
        delay = retry_delay_ms(attempt, self._policy.retry_delays_ms)
        headers = {**_origin(message, self._policy.queue), ATTEMPTS: attempt}
        self._copy(message, "", retry_queue_name(self._policy.queue, delay), headers)
        log.warning(
            "retrying message in %d ms after attempt %d (%s): %s",
            delay,
            attempt,
            failure.value,
            describe(error),
        )

    def _dead_letter(self, message: Any, error: BaseException, attempt: int, failure: Failure) -> None:
        headers = {
            **_origin(message, self._policy.queue),
            ATTEMPTS: attempt,
            ERROR: describe(error),
            DEAD_LETTERED_AT: datetime.now(UTC).isoformat(),
        }
        self._copy(message, DEAD_LETTERS.name, self._policy.queue, headers)
        log.warning(
            "dead-lettered message after attempt %d (%s): %s",
            attempt,
            failure.value,
            describe(error),
            exc_info=error if failure is Failure.BUG else None,
        )

    def _copy(self, message: Any, exchange: str, routing_key: str, extra: dict[str, Any]) -> None:
        kept = {k: v for k, v in (message.headers or {}).items() if k not in _DROPPED}
        properties = message.properties or {}
        self._publisher.publish(
            body_bytes(message),
            exchange=exchange,
            routing_key=routing_key,
            headers={**kept, **extra},
            message_id=properties.get("message_id"),
            correlation_id=properties.get("correlation_id"),
        )


def _origin(message: Any, queue: str) -> dict[str, Any]:
    """Where the message first came from, kept across retries (which come back via the default exchange)."""
    headers = message.headers or {}
    info = message.delivery_info or {}
    return {
        ORIGINAL_EXCHANGE: headers.get(ORIGINAL_EXCHANGE, info.get("exchange", "")),
        ORIGINAL_ROUTING_KEY: headers.get(ORIGINAL_ROUTING_KEY, info.get("routing_key", "")),
        ORIGINAL_QUEUE: headers.get(ORIGINAL_QUEUE, queue),
    }
