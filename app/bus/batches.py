"""A batch of message bodies on a runner thread: each parsed once, routed to its handler, split on failure."""

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError

from app.contracts import (
    BatchHandler,
    ContractError,
    Event,
    Incoming,
    NotYetApplicable,
    UnknownEventType,
    read_message,
)
from app.persistence import is_statement_timeout, is_transient

log = logging.getLogger(__name__)

Handlers = Mapping[type[Event], BatchHandler]


class Failure(enum.Enum):
    """Why a message was not applied; decides between retry and dead letter."""

    CONTRACT = "contract"  # can never succeed: dead-letter at once
    TRANSIENT = "transient"  # a dependency is away or too busy: retry with back-off, never dead-letter for it
    NOT_YET = "not_yet"  # depends on an event not applied yet: retry, bounded by 2 * max_attempts
    BUG = "bug"  # anything else: retry, bounded by max_attempts


@dataclass(frozen=True)
class Outcome:
    """What became of one message: `error` is None on success; `context` holds its ids for log lines."""

    error: BaseException | None = None
    context: Mapping[str, str | None] = field(default_factory=dict)


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, ContractError):
        return Failure.CONTRACT
    busy = is_transient(exc) or is_statement_timeout(exc)  # away, or too busy to answer in time
    if busy or isinstance(exc, AmqpConnectionError | KombuOperationalError):
        return Failure.TRANSIENT
    return Failure.NOT_YET if isinstance(exc, NotYetApplicable) else Failure.BUG


def handle_batch(bodies: Sequence[bytes], handlers: Handlers) -> list[Outcome]:
    """One outcome per body, in order; nothing escapes. Events are grouped by handler (one transaction
    each); a duplicate of an event earlier in the batch succeeds with it, without being applied twice."""
    outcomes: list[Outcome] = []
    groups: dict[BatchHandler, list[tuple[int, Incoming[Any]]]] = {}
    seen: set[UUID] = set()
    for index, body in enumerate(bodies):
        try:
            message = read_message(body)
        except Exception as exc:  # noqa: BLE001 - a bad message is its own outcome, not the batch's
            outcomes.append(Outcome(exc))
            continue
        context = {
            "correlation_id": message.correlation_id,
            "event_id": str(message.id),
            "event_type": message.type,
            "order_id": str(message.event.order_id),
        }
        handler = handlers.get(type(message.event))
        if handler is None:
            outcomes.append(Outcome(UnknownEventType(f"no handler here for {message.type!r}"), context))
            continue
        outcomes.append(Outcome(None, context))
        if message.id not in seen:
            seen.add(message.id)
            groups.setdefault(handler, []).append((index, message))
    for handler, items in groups.items():
        _apply(handler, items, outcomes)
    return outcomes


def _apply(
    handler: BatchHandler,
    items: list[tuple[int, Incoming[Any]]],
    outcomes: list[Outcome],
    timed_out: bool = False,
) -> None:
    """Apply the items (index in `outcomes`, message); when that fails for a reason that is not transient,
    apply each half on its own until the message at fault is alone: only it fails, the others commit.
    A statement timeout halves a batch once (smaller ones run faster), not again below (`timed_out`): when
    the database is too busy, every half would wait out the timeout too."""
    try:
        waiting = handler([message for _, message in items])
    except Exception as exc:  # noqa: BLE001 - the outcomes carry it to the consumer's thread
        timeout = is_statement_timeout(exc)
        if len(items) > 1 and (not timed_out if timeout else classify(exc) is not Failure.TRANSIENT):
            log.info("batch of %d failed (%s); applying each half on its own", len(items), type(exc).__name__)
            _apply(handler, items[: len(items) // 2], outcomes, timed_out or timeout)
            _apply(handler, items[len(items) // 2 :], outcomes, timed_out or timeout)
            return
        for index, _ in items:
            outcomes[index] = Outcome(exc, outcomes[index].context)
        return
    for index, message in items:
        if message.id in waiting:
            error = NotYetApplicable(f"{message.type} {message.id} waits for an earlier event of its order")
            outcomes[index] = Outcome(error, outcomes[index].context)
