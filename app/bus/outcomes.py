"""What became of one message in a handler, and what the bus must therefore do with it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError

from app.contracts import ContractError, NotYetApplicable
from app.persistence import is_transient


class Failure(enum.Enum):
    """Why a handler did not succeed; decides between retry and dead letter."""

    CONTRACT = "contract"  # can never succeed: dead-letter at once
    TRANSIENT = "transient"  # a dependency is away: retry with back-off, never dead-letter for it
    NOT_YET = "not_yet"  # depends on an event not applied yet: retry, bounded by 2 * max_attempts
    BUG = "bug"  # anything else: retry, bounded by max_attempts


@dataclass(frozen=True)
class Outcome:
    """The result of a task: `error` is None on success; `context` holds the ids for log lines."""

    error: BaseException | None = None
    context: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def failure(self) -> Failure | None:
        return None if self.error is None else classify(self.error)


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, ContractError):
        return Failure.CONTRACT
    if is_transient(exc) or isinstance(exc, AmqpConnectionError | KombuOperationalError):
        return Failure.TRANSIENT
    if isinstance(exc, NotYetApplicable):
        return Failure.NOT_YET
    return Failure.BUG


def should_dead_letter(failure: Failure, attempt: int, max_attempts: int) -> bool:
    """True when attempt number `attempt` (1-based) was the last one this kind of failure gets."""
    if failure is Failure.CONTRACT:
        return True
    if failure is Failure.TRANSIENT:
        return False
    limit = 2 * max_attempts if failure is Failure.NOT_YET else max_attempts
    return attempt >= limit


def retry_delay_ms(attempt: int, retry_delays_ms: tuple[int, ...]) -> int:
    """The back-off after attempt `attempt`; the last delay repeats for every later attempt."""
    return retry_delays_ms[min(attempt - 1, len(retry_delays_ms) - 1)]


def describe(exc: BaseException, limit: int = 1000) -> str:
    """`Type: message`, truncated so it fits a header."""
    return f"{type(exc).__name__}: {exc}"[:limit]
