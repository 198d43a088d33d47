"""A worker's HTTP port: /metrics as Prometheus text, liveness, readiness naming the failing dependency."""

from __future__ import annotations

import time

from werkzeug.test import Client

from app.bus import WorkerProbes, worker_wsgi_app
from app.bus.metrics import MESSAGES_PROCESSED


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
