"""QueueWorker: consumes one queue with a pool of handler threads, reconnecting and stopping gracefully."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from kombu.connection import Connection

from app.bus.backoff import Backoff
from app.bus.broker import broker_errors, connect
from app.bus.session import ConsumerSession
from app.bus.settlement import RetryPolicy
from app.bus.topology import ROLE_QUEUES, declare_queue, declare_topology
from app.contracts import EventHandler

log = logging.getLogger(__name__)

STOP_GRACE_S = 25.0
IDLE_POLL_S = 0.5


class QueueWorker:
    """Consumes `queue`; `last_heartbeat` (time.monotonic()) moves every loop pass, for readiness."""

    def __init__(
        self,
        broker_url: str,
        queue: str,
        handlers: Mapping[str, EventHandler],
        *,
        concurrency: int,
        max_attempts: int,
        retry_delays_ms: Sequence[int],
        declare: bool = True,
    ) -> None:
        self.broker_url = broker_url
        self.queue = queue
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._policy = RetryPolicy(queue, max_attempts, tuple(retry_delays_ms))
        self._declare = declare
        self.last_heartbeat = time.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; broker failures are logged and followed by a capped back-off."""
        backoff = Backoff()
        pool = self._pool()
        try:
            while not stop.is_set():
                connection = connect(self.broker_url)
                try:
                    with connection:
                        session = self._open(connection, pool)
                        backoff.reset()
                        self._consume(session, stop)
                except broker_errors(connection) as exc:
                    self._lost(exc, stop, backoff.next())
        finally:
            # Handlers still busy after the grace period are not awaited: their messages were never
            # acked, so the broker delivers them again.
            pool.shutdown(wait=False, cancel_futures=True)

    def drain(self, timeout: float) -> int:
        """Process messages until none arrived for `timeout` s and nothing is in flight; the count settled."""
        with self._pool() as pool, connect(self.broker_url) as connection:
            session = self._open(connection, pool)
            try:
                while session.pump(timeout) or session.in_flight:
                    self.last_heartbeat = time.monotonic()
                session.stop(STOP_GRACE_S)
            finally:
                session.close()
            return session.settled

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self._concurrency, thread_name_prefix=f"{self.queue}-handler")

    def _open(self, connection: Connection, pool: ThreadPoolExecutor) -> ConsumerSession:
        connection.connect()
        if self._declare:
            declare_topology(connection, self._policy.retry_delays_ms)
            if self.queue not in ROLE_QUEUES.values():  # a queue outside the topology (tests, tools)
                declare_queue(connection, self.queue, self._policy.retry_delays_ms)
        session = ConsumerSession(connection, pool, self._handlers, self._policy, prefetch=self._concurrency)
        log.info("consuming %s on %s", self.queue, connection.as_uri())  # password masked
        return session

    def _consume(self, session: ConsumerSession, stop: threading.Event) -> None:
        try:
            self._serve(session, stop)
            session.stop(STOP_GRACE_S)
        finally:
            session.close()

    def _serve(self, session: ConsumerSession, stop: threading.Event) -> None:
        while not stop.is_set():
            self.last_heartbeat = time.monotonic()
            session.pump(IDLE_POLL_S)

    def _lost(self, exc: BaseException, stop: threading.Event, delay: float) -> None:
        log.warning("broker connection for %s lost (%s); reconnecting in %.1f s", self.queue, exc, delay)
        stop.wait(delay)
