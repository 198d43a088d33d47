"""Inspecting and replaying a queue's dead letters without ever losing one."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.bus import settlement
from app.bus.broker import connect, take
from app.bus.entities import DELIVERY_LIMIT, dead_letter_queue
from app.bus.publisher import ConfirmingPublisher

# Headers describing the failure: a replay drops them, as it drops the broker's bookkeeping.
_FAILURE = frozenset(
    {settlement.ATTEMPTS, settlement.TRANSIENT_ATTEMPTS, settlement.ERROR, settlement.DEAD_LETTERED_AT}
)

# The broker takes requeued messages back asynchronously: how long a command waits until it counts them.
PUT_BACK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    original_routing_key: str | None
    error: str | None
    attempts: int
    dead_lettered_at: datetime | None
    body: str


def list_dead_letters(broker_url: str, queue: str) -> list[DeadLetter]:
    """Every dead letter of `queue`, oldest first (those without a time last), left in place: held unacked and
    requeued, so a crash while listing loses none (the broker requeues unacked messages of a closed channel).
    All are read: a quorum queue puts requeued messages back out of order, so its order says nothing."""
    with connect(broker_url) as connection:
        source = dead_letter_queue(queue)(connection.default_channel)
        _, waiting, _ = source.queue_declare(passive=True)
        held: list[Any] = []
        try:
            held.extend(take(source, int(waiting)))
            return sorted(map(_describe, held), key=_oldest_first)
        finally:
            _put_back(source, held)


def replay_dead_letters(
    broker_url: str,
    queue: str,
    message_ids: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Send dead letters of `queue` (all, or the first found of each given id) back where they came from,
    attempts reset, each acked only after the broker confirmed its copy; how many. Only those present at the
    start are visited, so one that fails again during the replay is not replayed twice; with ids, reading
    stops once each is found, leaving those after it untouched."""
    with connect(broker_url) as connection:
        # A copy for a queue that does not exist (mid-migration, say) is dropped, yet confirmed.
        connection.default_channel.queue_declare(queue, passive=True)
        source = dead_letter_queue(queue)(connection.default_channel)
        _, waiting, _ = source.queue_declare(passive=True)
        publisher = ConfirmingPublisher(connection)
        wanted = None if message_ids is None else set(message_ids)
        skipped: list[Any] = []
        replayed = 0
        try:
            for message in take(source, int(waiting)):
                message_id = message.properties.get("message_id")
                if wanted is not None and message_id not in wanted:
                    skipped.append(message)
                    continue
                _send_back(publisher, message, queue)
                replayed += 1
                if progress is not None:
                    progress(replayed)
                if wanted is not None:
                    wanted.discard(message_id)  # the first found of each id only
                    if not wanted:
                        break
        finally:
            _put_back(source, skipped)
        return replayed


def _send_back(publisher: ConfirmingPublisher, message: Any, queue: str) -> None:
    headers = {k: v for k, v in settlement.own_headers(message).items() if k not in _FAILURE}
    # Back to `queue`, whose failures alone this DLQ holds, never to a queue a header names.
    settlement.publish_copy(publisher, message, "", queue, headers)
    publisher.confirm()
    message.ack()


def _put_back(source: Any, messages: list[Any]) -> None:
    """Requeue `messages`, then wait until the queue counts them ready again on top of those ready before (a
    replay by id leaves those after its last id untaken): a command run right after would find part of it."""
    expected = source.queue_declare(passive=True).message_count + len(messages)
    for message in messages:
        message.requeue()
    deadline = time.monotonic() + PUT_BACK_TIMEOUT_S
    while source.queue_declare(passive=True).message_count < expected and time.monotonic() < deadline:
        time.sleep(0.01)


def _describe(message: Any) -> DeadLetter:
    headers = message.headers or {}
    stamp = headers.get(settlement.DEAD_LETTERED_AT)
    # Without x-error, the broker itself dead-lettered the message (its delivery limit, say).
    error = headers.get(settlement.ERROR) or _broker_reason(headers.get("x-first-death-reason"))
    return DeadLetter(
        message_id=message.properties.get("message_id"),
        original_routing_key=headers.get(settlement.ORIGINAL_ROUTING_KEY),
        error=error,
        attempts=settlement.attempts_so_far(message),
        dead_lettered_at=_time(stamp),
        body=settlement.body_bytes(message).decode("utf-8", errors="replace"),
    )


def _oldest_first(letter: DeadLetter) -> tuple[bool, datetime]:
    return (letter.dead_lettered_at is None, letter.dead_lettered_at or datetime.min.replace(tzinfo=UTC))


def _time(stamp: object) -> datetime | None:
    """The dead-lettering time; None when it is missing, garbled or without a zone (a header the broker kept
    from a publisher when it dead-lettered the message itself), which must not stop the listing of the others
    nor be ordered among them."""
    try:
        parsed = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        return None
    return None if parsed is None or parsed.tzinfo is None else parsed


def _broker_reason(reason: object) -> str | None:
    if reason == "delivery_limit":
        return f"delivery_limit: returned unacknowledged {DELIVERY_LIMIT} times (did it stop its worker?)"
    return None if reason is None else str(reason)
