"""QueueGauges: the ready messages of every queue, read over one broker connection kept between reads."""

import contextlib
import logging
import threading

from amqp.exceptions import ChannelError
from kombu.connection import Connection

from app.bus import metrics
from app.bus.broker import BROKER_FAILURES, HEARTBEAT_S, PROBE_TIMEOUT_S, open_connection, probe
from app.bus.topology import Topology
from app.jobs import run_periodically

log = logging.getLogger(__name__)


class QueueGauges:
    """Sets the gauge of ready messages per queue (`refresh`, run periodically) over one connection kept
    between refreshes: a connection each time made the broker log its opening and closing every few
    seconds, per process. Each read gives up after PROBE_TIMEOUT_S (a node that accepts but never
    answers); a broken or silent broker is only logged, and the next refresh connects afresh."""

    def __init__(self, broker_url: str, topology: Topology, name: str = "queue-gauges") -> None:
        self._broker_url, self._topology, self._name = broker_url, topology, name
        self.connection: Connection | None = None

    def refresh(self) -> None:
        try:
            depths = self._topology.depths(self._connected())
        except ChannelError as exc:  # a queue is missing: only the channel closed, the connection is fine
            log.warning("queue gauges not refreshed: %s", exc)
            return
        except BROKER_FAILURES as exc:
            self.close(handshake=False)
            # Readiness reports the outage; a traceback every few seconds would only bury it.
            log.warning("queue gauges not refreshed: broker unavailable (%s)", type(exc).__name__)
            return
        except Exception:
            self.close(handshake=False)  # whatever state the connection is in, it is not trusted again
            raise
        for queue, ready in depths.items():
            metrics.QUEUE_MESSAGES.labels(queue).set(ready)

    def run(self, stop: threading.Event, interval_s: float) -> None:
        """Refresh every `interval_s` until `stop` is set, then close the connection."""
        if interval_s >= HEARTBEAT_S:  # the broker would drop a connection silent for that long
            raise ValueError(f"queue gauges every {interval_s} s: must be under {HEARTBEAT_S} s")
        try:
            run_periodically(stop, interval_s, self.refresh, self._name)
        finally:
            self.close()

    def close(self, handshake: bool = True) -> None:
        """Let the connection go; without `handshake` (dropped after a failure), at once: a silent node would
        make the closing handshake wait again."""
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a link that already broke may raise; it is dropped anyway
                (connection.release if handshake else connection.collect)()

    def _connected(self) -> Connection:
        if self.connection is None:
            self.connection = probe(self._broker_url, io_timeout_s=PROBE_TIMEOUT_S)  # `close` frees it
            open_connection(self.connection, timeout=PROBE_TIMEOUT_S)
        return self.connection
