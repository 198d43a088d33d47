"""The metrics and probe server of the workers (and of the gateway's metrics): a fixed few handler threads
whatever the number of clients, slow clients dropped at their deadline, no version banner, a bind setting."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import Iterator

import pytest

from app.bootstrap import build_worker
from app.bus import WorkerProbes, worker_wsgi_app
from app.config import Settings
from app.jobs import Background
from app.metrics_server import serve_http
from tests.support.system import free_port
from tests.support.waiting import wait_until

SLOW_CLIENTS = 200
MOST_EXTRA_THREADS = 8  # a pool of handler threads plus the accepting one, far from one per client


@contextlib.contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[int]:
    """A worker's probe app served on a free port until the block ends."""
    port, stop = free_port(), threading.Event()
    probes = WorkerProbes(lambda: float("inf"), lambda: None)
    thread = threading.Thread(target=serve_http, args=(host, port, worker_wsgi_app(probes), stop))
    thread.start()
    try:
        wait_until(lambda: live(host, port), timeout=5, what="the probe server to answer")
        yield port
    finally:
        stop.set()
        thread.join(timeout=10)


def get(host: str, port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", path)
    reply = connection.getresponse()
    reply.read()
    connection.close()
    return reply


def live(host: str, port: int) -> bool:
    try:
        return get(host, port, "/health/live").status == 200
    except OSError:
        return False


def test_two_hundred_slow_clients_use_a_few_threads_and_are_dropped_then_probes_answer_again() -> None:
    before = threading.active_count()
    with serving() as port, contextlib.ExitStack() as held:
        slow = []
        for n in range(SLOW_CLIENTS):
            client = held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
            if n % 2:  # half send half a header, half send nothing at all
                client.sendall(b"GET /health/live HTTP/1.1\r\nHost: probe\r\n")
            slow.append(client)
        peak = [threading.active_count()]

        def answered_again() -> bool:
            peak.append(threading.active_count())
            return live("127.0.0.1", port)

        wait_until(answered_again, timeout=20, what="/health/live to answer after the slow clients' deadline")
        dropped = [client.recv(1) for client in (slow[0], slow[-1])]

    assert max(peak) - before <= MOST_EXTRA_THREADS
    assert dropped == [b"", b""]


def test_the_server_header_names_no_python_version() -> None:
    with serving() as port:
        reply = get("127.0.0.1", port, "/health/live")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"NOT A REQUEST\r\n\r\n")
            refused = raw.recv(4096).decode(errors="replace")

    assert reply.getheader("Server") == "payflow"
    assert "Python" not in refused
    assert "WSGIServer" not in refused


@pytest.mark.parametrize(
    ("configured", "answers_on", "silent_on"),
    [(None, "127.0.0.1", "127.0.0.2"), ("127.0.0.2", "127.0.0.2", "127.0.0.1")],
)
def test_a_worker_serves_its_probes_only_on_the_configured_host(
    configured: str | None, answers_on: str, silent_on: str
) -> None:
    port = free_port()
    env = {"PAYFLOW_BROKER_URL": "memory://", "PAYFLOW_ORDERS_METRICS_PORT": str(port)}
    settings = Settings.from_env(env | ({"PAYFLOW_WORKER_HTTP_HOST": configured} if configured else {}))
    probe_server = [job for job in build_worker(settings, "orders").jobs if job.name == "orders-http"]
    background = Background(probe_server)

    try:
        wait_until(lambda: live(answers_on, port), timeout=5, what=f"probes on {answers_on}")
        elsewhere = live(silent_on, port)
    finally:
        background.shutdown()

    assert elsewhere is False
