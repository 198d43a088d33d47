"""Metrics and probes of the real processes: gateway /metrics across gunicorn workers on their own bind, not
the public port; worker ports."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.support.system import RunningSystem
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SEED_USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def worker_url(system: RunningSystem, role: str, path: str) -> str:
    return f"http://127.0.0.1:{system.env[f'PAYFLOW_{role.upper()}_METRICS_PORT']}{path}"


def value(scrape: str, series: str) -> float:
    """The sample of `series` (name and labels as printed), 0 when absent."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", scrape, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_the_gateway_metrics_count_requests_of_every_gunicorn_worker(system: RunningSystem) -> None:
    for _ in range(6):
        assert system.api.post("/orders", {"userId": SEED_USER, "total": 20.01}).status == 202
    series = 'payflow_http_requests_total{method="POST",route="/api/orders",status="202"}'

    status, scrape = fetch(f"http://{system.env['PAYFLOW_METRICS_BIND']}/metrics")

    assert status == 200
    assert value(scrape, series) >= 6


def test_the_public_port_answers_metrics_like_an_unknown_route(system: RunningSystem) -> None:
    status, body = fetch(f"http://{system.env['PAYFLOW_HTTP_BIND']}/metrics")

    assert status == 404
    assert "payflow_http_requests_total" not in body


def test_workers_expose_metrics_while_orders_flow(system: RunningSystem) -> None:
    assert system.api.post("/orders", {"userId": SEED_USER, "total": 30.01}).status == 202
    processed = 'payflow_messages_processed_total{event_type="order.created",queue="orders.inbox"}'

    wait_until(
        lambda: value(fetch(worker_url(system, "orders", "/metrics"))[1], processed) >= 1,
        timeout=30,
        what="the orders worker to count a processed order.created",
    )
    wait_until(
        lambda: (
            value(
                fetch(worker_url(system, "payments", "/metrics"))[1],
                'payflow_payments_total{outcome="approved"}',
            )
            >= 1
        ),
        timeout=30,
        what="the payments worker to count an approved payment",
    )


@pytest.mark.parametrize("role", ["orders", "payments"])
def test_each_worker_answers_its_health_probes(system: RunningSystem, role: str) -> None:
    live_status, live = fetch(worker_url(system, role, "/health/live"))
    ready_status, ready = fetch(worker_url(system, role, "/health/ready"))

    assert (live_status, json.loads(live)) == (200, {"status": "ok"})
    assert ready_status == 200
    assert json.loads(ready) == {"status": "ok", "broker": "ok", "database": "ok"}
