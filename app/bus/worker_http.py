"""A worker's own HTTP port: Prometheus /metrics plus /health/live and /health/ready for orchestrators."""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import make_wsgi_app

HEARTBEAT_STALE_S = 15.0  # the consumer loop passes every 0.5 s; silence this long means no broker link


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
