"""One consuming session on one connection: messages go to the pool, outcomes are settled here."""

from __future__ import annotations

import contextlib
import queue as queue_module
import select
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Consumer

from app.bus import metrics
from app.bus.outcomes import Outcome
from app.bus.publisher import KombuPublisher, body_bytes
from app.bus.settlement import RetryPolicy, Settler
from app.bus.tasks import handle_message
from app.bus.wakeup import Wakeup
from app.contracts import EventHandler

MEMORY_POLL_S = 0.002  # the memory transport has no socket to select on: poll it while tasks are in flight


class ConsumerSession:
    """Everything tied to one channel; outcomes of a dropped session die with it (the broker redelivers)."""

    def __init__(
        self,
        connection: Connection,
        pool: Executor,
        handlers: Mapping[str, EventHandler],
        policy: RetryPolicy,
        prefetch: int,
    ) -> None:
        self._connection = connection
        self._pool = pool
        self._handlers = handlers
        self._queue = policy.queue
        self._outcomes: queue_module.Queue[tuple[Any, Outcome]] = queue_module.Queue()
        self._wakeup = Wakeup()
        self._socket = connection.connection.sock if connection.transport.driver_type == "amqp" else None
        self._accepting = True
        self.in_flight = 0
        self.settled = 0
        channel = connection.channel()
        self._settler = Settler(KombuPublisher(channel), policy)
        channel.basic_qos(0, prefetch, False)  # positional: amqp and memory name them differently
        self._consumer = Consumer(
            channel, [Queue(policy.queue, no_declare=True)], on_message=self._submit, accept=["json"]
        )
        self._consumer.consume()

    def _submit(self, message: Any) -> None:
        if not self._accepting:
            message.requeue()
            return
        self.in_flight += 1
        self._pool.submit(self._run, message)

    def _run(self, message: Any) -> None:
        started = time.perf_counter()
        # Raw bytes only: kombu never deserializes the body.
        outcome = handle_message(body_bytes(message), self._handlers)
        metrics.record_handled(self._queue, outcome.context, time.perf_counter() - started)
        self._outcomes.put((message, outcome))
        self._wakeup.poke()

    def pump(self, idle_timeout: float) -> bool:
        """Sleep until a delivery arrives or a handler finishes (at most `idle_timeout`), then take the
        deliveries and settle what is done; True when something arrived or settled."""
        self._connection.heartbeat_check()
        before = (self.in_flight, self.settled)
        if self._socket is None:
            with contextlib.suppress(TimeoutError):  # nothing arrived in time
                self._connection.drain_events(timeout=MEMORY_POLL_S if self.in_flight else idle_timeout)
        else:
            self._wait(idle_timeout)
        self.settle_ready()
        return (self.in_flight, self.settled) != before

    def _wait(self, timeout: float) -> None:
        watched: list[Any] = [self._socket, self._wakeup]
        readable, _, _ = select.select(watched, [], [], timeout)
        if self._wakeup in readable:
            self._wakeup.clear()  # before settling, so an outcome put after this pokes again
        if self._socket in readable:
            with contextlib.suppress(TimeoutError):  # every frame already received is dispatched
                while True:
                    self._connection.drain_events(timeout=0)

    def settle_ready(self, wait: float = 0.0) -> None:
        """Settle every finished outcome; with `wait`, block that long for the first one."""
        try:
            item = self._outcomes.get(timeout=wait) if wait else self._outcomes.get_nowait()
            while True:
                self._settler.settle(*item)
                self.in_flight -= 1
                self.settled += 1
                item = self._outcomes.get_nowait()
        except queue_module.Empty:
            return

    def stop(self, grace_s: float) -> None:
        """Take nothing new, then settle in-flight work for up to `grace_s`; the rest is redelivered."""
        self._accepting = False
        self._consumer.cancel()
        deadline = time.monotonic() + grace_s
        while self.in_flight and time.monotonic() < deadline:
            self.settle_ready(wait=min(0.1, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        """Release the wake-up pipe; handlers still running may poke it harmlessly."""
        self._wakeup.close()
