"""BatchConsumer: takes one queue's deliveries in batches, applies them on runner threads, settles them."""

import logging
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor

from kombu.connection import Connection

from app.bus import metrics
from app.bus.batches import Handlers, Outcome, handle_batch
from app.bus.broker import BROKER_FAILURES, Backoff, connect, open_connection
from app.bus.publisher import PublishNotConfirmed
from app.bus.session import Batching, BatchSession
from app.bus.settlement import RetryPolicy
from app.bus.topology import Topology

log = logging.getLogger(__name__)

IDLE_S = 0.5  # with nothing to do, how long to wait for a delivery before looking at the stop flag again
STOP_GRACE_S = 25.0
# The broker or the link to it failed, or did not confirm a copy: worth a reconnect rather than a crash.
RECONNECT_ON: tuple[type[Exception], ...] = (*BROKER_FAILURES, PublishNotConfirmed)


class BatchConsumer:
    """Consumes `policy.queue` as `batching` says; `last_heartbeat` (time.monotonic()) moves every loop pass,
    for readiness."""

    def __init__(
        self, broker_url: str, topology: Topology, handlers: Handlers, batching: Batching, policy: RetryPolicy
    ) -> None:
        self.broker_url = broker_url
        self.queue = policy.queue
        self._topology, self._policy, self.batching = topology, policy, batching
        self._handlers = dict(handlers)
        self.last_heartbeat = time.monotonic()
        self._consuming_since: float | None = None

    def consuming_for(self) -> float:
        """Seconds since `run` last began consuming (0 while it is not; what `drain` does is not counted)."""
        since = self._consuming_since
        return 0.0 if since is None else time.monotonic() - since

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; broker failures are logged and followed by a capped back-off."""
        backoff, runners = Backoff(), self._runners()
        try:
            while not stop.is_set():
                try:
                    with connect(self.broker_url) as connection:
                        session = self._session(connection, runners)
                        backoff.reset()
                        log.info("consuming %s on %s", self.queue, connection.as_uri())
                        self._consuming_since = time.monotonic()
                        while not stop.is_set():
                            self.last_heartbeat = time.monotonic()
                            session.pump(IDLE_S)
                        session.stop(STOP_GRACE_S)
                except RECONNECT_ON as exc:
                    self._consuming_since = None
                    delay = backoff.next()
                    log.warning(
                        "broker connection for %s lost (%s); reconnecting in %.1f s", self.queue, exc, delay
                    )
                    stop.wait(delay)
        finally:
            self._consuming_since = None
            # Batches still running are not awaited: their messages were never acked, the broker redelivers.
            runners.shutdown(wait=False, cancel_futures=True)

    def drain(self, idle_s: float) -> int:
        """Apply deliveries until none came for `idle_s` and nothing runs; how many were settled (tests)."""
        with self._runners() as runners, connect(self.broker_url) as connection:
            session = self._session(connection, runners)
            while session.pump(idle_s) or session.busy:
                self.last_heartbeat = time.monotonic()
            return session.settled

    def _session(self, connection: Connection, runners: Executor) -> BatchSession:
        open_connection(connection)  # the first node of the list that accepts
        self._topology.declare(connection, [] if self.queue in self._topology.inboxes else [self.queue])
        return BatchSession(connection, self._policy, self.batching, runners, self._apply)

    def _runners(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.batching.parallel, thread_name_prefix=f"{self.queue}-batch")

    def _apply(self, bodies: list[bytes]) -> list[Outcome]:
        """Runs on a runner thread."""
        started = time.perf_counter()
        outcomes = handle_batch(bodies, self._handlers)
        metrics.BATCH_SECONDS.labels(self.queue).observe(time.perf_counter() - started)
        metrics.BATCH_SIZE.labels(self.queue).observe(len(bodies))
        return outcomes
