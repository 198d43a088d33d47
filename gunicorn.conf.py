"""Gunicorn settings for the gateway, read from the same PAYFLOW_* environment as everything else."""

import sys
from typing import Any

from app.config import Settings

_settings = Settings.from_env()

bind = _settings.http_bind
workers = _settings.http_workers
threads = _settings.http_threads
worker_class = "gthread"
timeout = 30
graceful_timeout = 20  # SIGTERM: stop accepting, let in-flight requests finish for up to this long
keepalive = 5


def worker_exit(server: Any, worker: Any) -> None:
    """Stop this worker's relay and purge threads once its requests have drained."""
    wsgi = sys.modules.get("wsgi")
    if wsgi is not None:
        wsgi.background.shutdown()
