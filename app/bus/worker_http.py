"""A worker's own HTTP port: Prometheus /metrics plus /health/live and /health/ready for orchestrators."""

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

HEARTBEAT_STALE_S = 15.0  # the consumer loop passes every 0.5 s; silence this long means no broker link
POLL_S = 0.5


@dataclass(frozen=True)
class WorkerProbes:
    heartbeat: Callable[[], float]  # time.monotonic() of the consumer's last pass over the broker link
    database_problem: Callable[[], str | None]

    def readiness(self) -> dict[str, str]:
        silent_s = time.monotonic() - self.heartbeat()
        broker = "ok" if silent_s <= HEARTBEAT_STALE_S else f"no broker heartbeat for {silent_s:.0f} s"
        return {"broker": broker, "database": self.database_problem() or "ok"}


def worker_wsgi_app(probes: WorkerProbes) -> WSGIApplication:
    """/metrics (the process's default registry), /health/live and /health/ready; anything else is 404."""
    metrics_app: WSGIApplication = make_wsgi_app()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path == "/health/live":
            return _json(start_response, 200, {"status": "ok"})
        if path == "/health/ready":
            checks = probes.readiness()
            ready = all(value == "ok" for value in checks.values())
            status = "ok" if ready else "unavailable"
            return _json(start_response, 200 if ready else 503, {"status": status, **checks})
        paths = "/metrics, /health/live, /health/ready"
        return _json(start_response, 404, {"status": "not found", "paths": paths})

    return app


def _json(start_response: StartResponse, status: int, body: dict[str, str]) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [payload]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Probes every few seconds would drown the log; Prometheus records scrape failures itself."""


def serve_worker_http(host: str, port: int, app: WSGIApplication, stop: threading.Event) -> None:
    """Answer requests on `port` until `stop` is set; a taken port (a second worker of the role on one
    host) is logged, not fatal: the worker runs on without the endpoint."""
    try:  # request threads are daemons: a slow scraper never holds the process open
        server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    except OSError as exc:
        log.error("no /metrics or /health endpoint: port %d unusable: %s", port, exc)
        return
    log.info("serving /metrics, /health/live and /health/ready on port %d", port)
    server.timeout = POLL_S
    try:
        while not stop.is_set():
            server.handle_request()
    finally:
        server.server_close()
