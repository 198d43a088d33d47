"""The queue gauges on real RabbitMQ: one connection kept between refreshes, dropped when it breaks or
its node stops answering, closed when the job stops."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.bootstrap import topology
from app.bus import QueueGauges, Topology
from app.bus.broker import PROBE_TIMEOUT_S, declare_topology_at
from app.config import Settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def routes(broker_url: str) -> Topology:
    """The system's topology, declared in this test's vhost."""
    declared = topology(Settings.from_env({"PAYFLOW_RETRY_DELAYS_MS": "50,100"}))
    declare_topology_at(broker_url, declared)
    return declared


class Relay:
    """A TCP relay to RabbitMQ that can stop passing bytes on, as a node that hangs would."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.frozen = upstream, threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.upstream)
                self.sockets += [client, server]
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        """Stop listening and end every relayed connection (RabbitMQ sees its client go)."""
        for sock in [self.listener, *self.sockets]:
            sock.close()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self.frozen.is_set():
                    sink.sendall(data)


@pytest.fixture
def relay(broker_url: str) -> Iterator[tuple[Relay, str]]:
    parts = urlsplit(broker_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5672))
    through = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{relay.port}").geturl()
    yield relay, through
    relay.close()


def test_the_gauges_keep_one_connection_between_refreshes(broker_url: str, routes: Topology) -> None:
    gauges = QueueGauges(broker_url, routes)
    try:
        gauges.refresh()
        first = gauges.connection and gauges.connection.connection
        gauges.refresh()
        second = gauges.connection and gauges.connection.connection
    finally:
        gauges.close()

    assert first is not None
    assert second is first


def test_a_node_that_stops_answering_costs_one_refresh_its_probe_time_then_the_link_is_dropped(
    broker_url: str, routes: Topology, relay: tuple[Relay, str]
) -> None:
    node, through = relay
    gauges = QueueGauges(through, routes)
    gauges.refresh()
    assert gauges.connection is not None
    node.frozen.set()
    started = time.monotonic()

    refresh = threading.Thread(target=gauges.refresh, daemon=True)  # a hung read fails the test, not CI
    refresh.start()
    refresh.join(timeout=PROBE_TIMEOUT_S + 1)

    assert not refresh.is_alive()
    assert time.monotonic() - started < PROBE_TIMEOUT_S + 1
    assert gauges.connection is None


def test_stopping_the_gauges_job_closes_its_connection(broker_url: str, routes: Topology) -> None:
    gauges, stop = QueueGauges(broker_url, routes), threading.Event()
    job = threading.Thread(target=gauges.run, args=(stop, 0.05))
    job.start()
    wait_until(lambda: gauges.connection is not None, timeout=10, what="the gauges connected")

    stop.set()
    job.join(timeout=10)

    assert not job.is_alive()
    assert gauges.connection is None
