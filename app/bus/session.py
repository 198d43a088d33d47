"""One consuming session on one connection: deliveries gathered into batches, run, settled, acked."""

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Consumer

from app.bus.batches import Outcome
from app.bus.broker import drain_ready
from app.bus.publisher import ConfirmingPublisher
from app.bus.settlement import RetryPolicy, Settler, body_bytes, undecodable

POLL_S = 0.002  # while batches run, how soon one that finished is settled


@dataclass(frozen=True)
class Batching:
    """Up to `size` deliveries per batch, closed when full or `wait_s` after its first delivery arrived;
    at most `parallel` batches applied at once, and `in_flight` deliveries unacknowledged (the prefetch;
    by default a batch for each runner, and the next)."""

    size: int
    wait_s: float
    parallel: int = 1
    in_flight: int | None = None


class BatchSession:
    """Everything tied to one connection; batches of a dropped session are never acked (redelivered)."""

    def __init__(
        self,
        connection: Connection,
        policy: RetryPolicy,
        batching: Batching,
        runners: Executor,
        apply: Callable[[list[bytes]], list[Outcome]],
    ) -> None:
        self._connection, self._batching, self._runners, self._apply = connection, batching, runners, apply
        self._amqp = connection.transport.driver_type == "amqp"
        self._settler = Settler(ConfirmingPublisher(connection), policy)
        default = batching.size * (batching.parallel + 1)
        self._prefetch = default if batching.in_flight is None else batching.in_flight
        self._pending: list[Any] = []
        self._undecodable: list[tuple[Any, Exception]] = []  # dead-lettered before any batch is settled
        self._first_at: float | None = None
        self._running: list[tuple[list[Any], Future[list[Outcome]]]] = []
        self._idle_since = 0.0  # when the last running batch was settled
        self.received = self.settled = 0
        queue = Queue(policy.queue, no_declare=True)
        self._consumer = Consumer(
            connection.channel(),
            [queue],
            on_message=self._receive,
            accept=["json"],
            on_decode_error=self._receive_undecodable,
            prefetch_count=self._prefetch,
        )
        self._consumer.consume()

    @property
    def busy(self) -> bool:
        return bool(self._running or self._pending)

    def pump(self, idle_s: float) -> bool:
        """Wait for deliveries (briefly while batches run), settle finished batches, start due ones;
        True when something arrived or was settled."""
        before = (self.received, self.settled)
        with contextlib.suppress(TimeoutError):
            self._connection.drain_events(timeout=self._wait_s(idle_s))
            drain_ready(self._connection, self._prefetch)
        self._connection.heartbeat_check()
        self._settle_finished()
        self._start_due()
        return (self.received, self.settled) != before

    def stop(self, grace_s: float) -> None:
        """Take nothing new, then settle running batches for up to `grace_s`; the rest is redelivered."""
        self._consumer.cancel()
        wait([future for _, future in self._running], timeout=grace_s)
        self._settle_finished()

    def _receive(self, message: Any) -> None:
        self.received += 1
        self._pending.append(message)
        if self._first_at is None:
            self._first_at = time.monotonic()

    def _receive_undecodable(self, message: Any, exc: Exception) -> None:
        """kombu could not undo the delivery's encoding (a `compression` header it cannot honour, say)."""
        self.received += 1
        self._undecodable.append((message, exc))

    def _wait_s(self, idle_s: float) -> float:
        if self._running:
            return POLL_S
        if self._first_at is not None:
            return max(0.0, self._first_at + self._batching.wait_s - time.monotonic())
        return idle_s

    def _start_due(self) -> None:
        size, now = self._batching.size, time.monotonic()
        while self._pending and len(self._running) < self._batching.parallel:
            # A delivery waits for company only while deliveries stream in: one that finds the worker idle
            # for `wait_s` already (a single order on a quiet system, say) starts at once.
            waited = self._first_at is not None and now - self._first_at >= self._batching.wait_s
            due = waited or (not self._running and now - self._idle_since >= self._batching.wait_s)
            if len(self._pending) < size and not due:
                return
            batch, self._pending = self._pending[:size], self._pending[size:]
            bodies = [body_bytes(message) for message in batch]
            self._running.append((batch, self._runners.submit(self._apply, bodies)))
            if not self._pending:
                self._first_at = None

    def _settle_finished(self) -> None:
        # First, so that no batch's ack with `multiple` covers an undecodable delivery not yet copied.
        while self._undecodable:
            rejected, self._undecodable = self._undecodable, []
            messages = [message for message, _ in rejected]
            self._settler.settle(messages, [undecodable(message, exc) for message, exc in rejected])
            self.settled += len(rejected)
        running, self._running = self._running, []
        for batch, future in running:
            if not future.done():
                self._running.append((batch, future))
                continue
            # One ack for the batch when no earlier batch is unsettled (kombu's memory transport, used
            # by unit tests, acks one message per call whatever `multiple` says).
            at_once = self._amqp and not self._running
            self._settler.settle(batch, future.result(), at_once=at_once)
            self.settled += len(batch)
        if running and not self._running:
            self._idle_since = time.monotonic()
