"""A worker's own HTTP port: Prometheus /metrics plus /health/live and /health/ready for orchestrators."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

HEARTBEAT_STALE_S = 15.0  # the consumer loop passes every 0.5 s; silence this long means no broker link
POLL_S = 0.5
PATHS = ("/metrics", "/health/live", "/health/ready")


@dataclass(frozen=True)
class WorkerProbes:
    """What readiness looks at: the consumer loop's heartbeat and the database."""

    heartbeat: Callable[[], float]  # time.monotonic() of the consumer's last pass over the broker link
    database_problem: Callable[[], str | None]
    stale_after_s: float = HEARTBEAT_STALE_S

    def readiness(self) -> dict[str, str]:
        """Each dependency mapped to "ok" or the reason it is not usable."""
        silent_s = time.monotonic() - self.heartbeat()
        broker = "ok" if silent_s <= self.stale_after_s else f"no broker heartbeat for {silent_s:.0f} s"
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
        return _json(start_response, 404, {"status": "not found", "paths": ", ".join(PATHS)})

    return app


def _json(start_response: StartResponse, status: int, body: dict[str, str]) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [payload]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds the process open


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Probes every few seconds would drown the log; Prometheus records scrape failures itself."""


def open_worker_http(host: str, port: int, app: WSGIApplication) -> WSGIServer:
    """Bind now (so a taken port fails at start-up, in the caller); serve with `serve_until`."""
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)


def serve_until(server: WSGIServer, stop: threading.Event) -> None:
    """Answer requests until `stop` is set, then close the socket."""
    server.timeout = POLL_S
    try:
        while not stop.is_set():
            server.handle_request()
    finally:
        server.server_close()
