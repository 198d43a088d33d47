"""Settling a handled batch on the consumer's thread: retry and dead-letter copies confirmed, then acks."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.bus import metrics
from app.bus.batches import Failure, Outcome, classify
from app.bus.entities import DEAD_LETTERS
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import retry_queue_name
from app.contracts import ContractError
from app.logs import log_context

log = logging.getLogger(__name__)

ATTEMPTS, ERROR, DEAD_LETTERED_AT = "x-attempts", "x-error", "x-dead-lettered-at"
# Retries a dependency's absence cost are counted apart: they never use up the attempts the limits bound.
TRANSIENT_ATTEMPTS = "x-transient-attempts"
ORIGINAL_EXCHANGE = "x-original-exchange"
ORIGINAL_ROUTING_KEY = "x-original-routing-key"
ORIGINAL_QUEUE = "x-original-queue"
_BOOKKEEPING = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count")


@dataclass(frozen=True)
class RetryPolicy:
    """The queue being consumed and how failures on it are retried."""

    queue: str
    max_attempts: int
    retry_delays_ms: tuple[int, ...]

    def gives_up(self, failure: Failure, attempt: int) -> bool:
        """True when attempt `attempt` (from 1, transient ones not counted) was the last this kind of
        failure gets."""
        if failure in (Failure.CONTRACT, Failure.TRANSIENT):
            return failure is Failure.CONTRACT
        return attempt >= (2 * self.max_attempts if failure is Failure.NOT_YET else self.max_attempts)

    def delay_ms(self, attempt: int) -> int:
        """The back-off after attempt `attempt` of its count (transient or not); the last delay repeats
        for every later attempt."""
        return self.retry_delays_ms[min(attempt - 1, len(self.retry_delays_ms) - 1)]


def attempts_so_far(message: Any, header: str = ATTEMPTS) -> int:
    """Attempts recorded on the message in `header` (0 for a first delivery); garbage counts as 0."""
    value = (message.headers or {}).get(header, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def body_bytes(message: Any) -> bytes:
    """The raw body of a received message (py-amqp hands over text when an encoding was declared)."""
    return message.body.encode() if isinstance(message.body, str) else bytes(message.body)


def own_headers(message: Any) -> dict[str, Any]:
    """Its headers but the broker's bookkeeping: carried on, it would only grow and feed cycle detection."""
    return {key: value for key, value in (message.headers or {}).items() if not key.startswith(_BOOKKEEPING)}


def undecodable(message: Any, exc: Exception) -> Outcome:
    """The outcome of a delivery kombu could not decode: a contract error, so it is dead-lettered at once."""
    compression = (message.headers or {}).get("compression")
    error = ContractError(f"cannot decode the delivery (compression header {compression!r}): {describe(exc)}")
    return Outcome(error, {"correlation_id": (message.properties or {}).get("correlation_id")})


def describe(exc: BaseException, limit: int = 1000) -> str:
    return f"{type(exc).__name__}: {exc}"[:limit]


def publish_copy(
    publisher: ConfirmingPublisher, message: Any, exchange: str, routing_key: str, headers: Mapping[str, Any]
) -> None:
    """Publish a received message again, body and ids unchanged, with `headers` instead of its own. A body
    kombu decompressed goes out as it is, without `compression`; one it could not keeps the header, so that
    once the codec is installed a replay can still be read."""
    if not getattr(message, "errors", None):
        headers = {key: value for key, value in headers.items() if key != "compression"}
    properties = message.properties or {}
    publisher.publish(
        body_bytes(message),
        exchange=exchange,
        routing_key=routing_key,
        headers=headers,
        message_id=properties.get("message_id"),
        correlation_id=properties.get("correlation_id"),
    )


class Settler:
    """Touches kombu messages, so it must only run on the thread that owns the connection."""

    def __init__(self, publisher: ConfirmingPublisher, policy: RetryPolicy) -> None:
        self._publisher, self._policy = publisher, policy

    def settle(self, messages: Sequence[Any], outcomes: Sequence[Outcome], *, at_once: bool = False) -> None:
        """Copy each failed message to its retry or dead-letter queue, wait for the broker to confirm
        the copies, then ack the whole batch: a crash before the acks redelivers, never loses. `at_once`
        acks with one frame (AMQP `multiple`) when no earlier delivery of the channel is unsettled."""
        copied = [
            self._copy_failed(message, outcome) for message, outcome in zip(messages, outcomes, strict=True)
        ]
        if any(copied):
            self._publisher.confirm()
        for message in messages[-1:] if at_once else messages:
            message.ack(multiple=at_once)

    def _copy_failed(self, message: Any, outcome: Outcome) -> bool:
        queue, error = self._policy.queue, outcome.error
        event_type = metrics.event_label(outcome.context.get("event_type"))
        with log_context(**outcome.context):
            if error is None:
                metrics.MESSAGES_PROCESSED.labels(queue, event_type).inc()
                log.debug("message applied")  # the history tables record what it changed
                return False
            failure = classify(error)
            counter = TRANSIENT_ATTEMPTS if failure is Failure.TRANSIENT else ATTEMPTS
            attempt = attempts_so_far(message, counter) + 1
            headers = _copy_headers(message, queue) | {counter: attempt}
            why = f"after attempt {attempt} ({failure.value}): {describe(error)}"
            if self._policy.gives_up(failure, attempt):
                headers |= {ERROR: describe(error), DEAD_LETTERED_AT: datetime.now(UTC).isoformat()}
                publish_copy(self._publisher, message, DEAD_LETTERS.name, queue, headers)
                metrics.MESSAGES_DEAD_LETTERED.labels(queue, event_type, failure.value).inc()
                bug = error if failure is Failure.BUG else None
                log.warning("dead-lettered message %s", why, exc_info=bug)
            else:
                delay = self._policy.delay_ms(attempt)
                publish_copy(self._publisher, message, "", retry_queue_name(queue, delay), headers)
                metrics.MESSAGES_RETRIED.labels(queue, event_type, failure.value).inc()
                log.warning("retrying message in %d ms %s", delay, why)
        return True


def _copy_headers(message: Any, queue: str) -> dict[str, Any]:
    """The message's own headers but the broker's bookkeeping, where it first came from (kept across
    retries, which come back via the default exchange) and the attempts made before this one."""
    headers, info = message.headers or {}, message.delivery_info or {}
    return {
        **own_headers(message),
        ORIGINAL_EXCHANGE: headers.get(ORIGINAL_EXCHANGE, info.get("exchange", "")),
        ORIGINAL_ROUTING_KEY: headers.get(ORIGINAL_ROUTING_KEY, info.get("routing_key", "")),
        ORIGINAL_QUEUE: headers.get(ORIGINAL_QUEUE, queue),
        ATTEMPTS: attempts_so_far(message),
    }
