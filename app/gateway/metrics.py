"""Prometheus metrics of the gateway: requests by route, method and status, and their latency. They are served
on their own bind by the gunicorn master (gunicorn.conf.py), never on the public port."""

import time

from flask import Flask, Response, request
from prometheus_client import Counter, Histogram

UNMATCHED = "unmatched"  # 404s share one label value, so scanners cannot blow up the series count
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STARTED = "payflow.metrics.started"

REQUESTS = Counter(
    "payflow_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "payflow_http_request_duration_seconds",
    "Time from the request reaching Flask to the response being ready.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def instrument(app: Flask) -> None:
    """Time and count every request; call before other before_request hooks."""
    app.before_request(_start_timer)
    app.after_request(_record)


def _start_timer() -> None:
    request.environ[_STARTED] = time.perf_counter()


def _record(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "OTHER"
    REQUESTS.labels(route, method, str(response.status_code)).inc()
    started = request.environ.get(_STARTED)
    if isinstance(started, float):
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
    return response
