"""A worker's HTTP port: /metrics as Prometheus text, liveness, readiness naming the failing dependency,
served until stopped, and never fatal when the port is taken."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
from werkzeug.test import Client

from app.bus import WorkerProbes, worker_wsgi_app
from app.bus.metrics import MESSAGES_PROCESSED
from app.metrics_server import serve_http
from tests.support.waiting import wait_until


def probes(heartbeat_age_s: float = 0.0, database: str | None = None) -> WorkerProbes:
    beat = time.monotonic() - heartbeat_age_s
    return WorkerProbes(heartbeat=lambda: beat, database_problem=lambda: database)


def test_liveness_answers_ok() -> None:
    reply = Client(worker_wsgi_app(probes())).get("/health/live")

    assert (reply.status_code, reply.json) == (200, {"status": "ok"})


def test_a_worker_with_a_fresh_heartbeat_and_a_database_is_ready() -> None:
    reply = Client(worker_wsgi_app(probes())).get("/health/ready")

    assert reply.status_code == 200
    assert reply.json == {"status": "ok", "broker": "ok", "database": "ok"}


def test_a_silent_broker_link_makes_the_worker_unready_and_says_so() -> None:
    reply = Client(worker_wsgi_app(probes(heartbeat_age_s=60))).get("/health/ready")

    assert reply.status_code == 503
    assert reply.json["status"] == "unavailable"
    assert reply.json["broker"].startswith("no broker heartbeat for")
    assert reply.json["database"] == "ok"


def test_an_unreachable_database_makes_the_worker_unready_and_says_so() -> None:
    reply = Client(worker_wsgi_app(probes(database="unreachable: OperationalError"))).get("/health/ready")

    assert reply.status_code == 503
    assert reply.json == {
        "status": "unavailable",
        "broker": "ok",
        "database": "unreachable: OperationalError",
    }


def test_metrics_are_served_in_the_prometheus_text_format() -> None:
    MESSAGES_PROCESSED.labels("metrics-test.inbox", "order.created").inc()

    reply = Client(worker_wsgi_app(probes())).get("/metrics")

    assert reply.status_code == 200
    assert reply.content_type.startswith("text/plain")
    text = reply.get_data(as_text=True)
    assert 'payflow_messages_processed_total{event_type="order.created",queue="metrics-test.inbox"}' in text


def test_other_paths_are_404() -> None:
    reply = Client(worker_wsgi_app(probes())).get("/")

    assert reply.status_code == 404


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def answers(port: int) -> bool:
    try:
        return get(port, "/health/live")[0] == 200
    except OSError:
        return False


def test_the_served_port_answers_probes_until_stopped() -> None:
    port, stop = free_port(), threading.Event()
    serving = threading.Thread(target=serve_http, args=("127.0.0.1", port, worker_wsgi_app(probes()), stop))
    serving.start()

    wait_until(lambda: answers(port), timeout=5, what="the worker's HTTP port to answer")
    status, body = get(port, "/health/ready")
    stop.set()
    serving.join(timeout=5)

    assert (status, json.loads(body)) == (200, {"status": "ok", "broker": "ok", "database": "ok"})
    assert not serving.is_alive()
    assert not answers(port)


def test_a_taken_port_is_logged_and_the_worker_runs_on_without_the_endpoint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        serve_http("127.0.0.1", port, worker_wsgi_app(probes()), threading.Event())

    assert f"port {port} unusable" in caplog.text
