"""The worker's HTTP port served on loopback: answers probes, refuses a taken port, stops when told."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from app.bus import WorkerProbes, open_worker_http, serve_until, worker_wsgi_app

pytestmark = pytest.mark.integration


def probes() -> WorkerProbes:
    beat = time.monotonic()
    return WorkerProbes(heartbeat=lambda: beat, database_problem=lambda: None)


@pytest.fixture
def served() -> Iterator[int]:
    """The real server on a free loopback port, stopped after the test."""
    server = open_worker_http("127.0.0.1", 0, worker_wsgi_app(probes()))
    stop = threading.Event()
    thread = threading.Thread(target=serve_until, args=(server, stop), daemon=True)
    thread.start()
    yield server.server_port
    stop.set()
    thread.join(5)


def test_the_server_answers_over_http_and_stops_when_told(served: int) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{served}/health/ready", timeout=5) as reply:
        body = json.load(reply)

    assert body["status"] == "ok"


def test_a_taken_port_fails_when_opening_not_later(served: int) -> None:
    with pytest.raises(OSError, match="in use"):
        open_worker_http("127.0.0.1", served, worker_wsgi_app(probes()))
