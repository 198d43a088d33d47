"""Gunicorn settings for the gateway, read from the same PAYFLOW_* environment as everything else."""

import ctypes
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from app.config import Settings
from app.logs import configure_logging, route_gunicorn_logs

_settings = Settings.from_env()

bind = _settings.http_bind
workers = _settings.http_workers
threads = _settings.http_threads
worker_class = "gthread"
timeout = 30
graceful_timeout = 20  # SIGTERM: stop accepting, let in-flight requests finish for up to this long
keepalive = 5
# Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new connections across the
# workers. With one shared socket, whichever worker won the accept race kept every keep-alive client
# (measured: one worker served all 33 benchmark connections while the other sat mostly idle).
# A unix socket (`payflow run` behind nginx) cannot be reused that way, and nginx spreads its own connections.
reuse_port = not bind.startswith("unix:")
# No `gunicornc` control socket: it would be one more way to drive the gateway, and every gunicorn of the
# same user would share its default path ($HOME/.gunicorn/gunicorn.ctl), test stacks and dev stack alike.
control_socket_disable = True
# Never refuse what nginx in front lets through (lines of at most 8,180 bytes): gunicorn's refusals are
# HTML pages, nginx's are JSON in the gateway's error shape (tests/e2e/test_proxy.py sends nginx's largest).
# nginx may lengthen a line on the way (a version added to an HTTP/0.9 request line, a space after a
# header's colon, CRLF for a bare LF), never beyond these limits. Unlimited would let a client that reaches
# gunicorn without nginx send a line of any length.
limit_request_line = 8190  # gunicorn's most
limit_request_field_size = 8192  # counting the CRLF
limit_request_fields = 8256  # nginx's four 8,180-byte buffers hold at most 8,180 header lines; it adds 5

# prometheus_client picks its multiprocess value store when first imported, so it is imported only in the
# hooks below, after on_starting has set PROMETHEUS_MULTIPROC_DIR for the workers it forks.
_METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
_created_metrics_dir: list[str] = []
_PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal this process gets when its parent thread dies
_metrics_stop = threading.Event()


def on_starting(server: Any) -> None:
    """Log like every other process; give the workers a clean shared metrics directory."""
    configure_logging(_settings.log_level, _settings.log_format, "gateway")
    route_gunicorn_logs()
    directory = os.environ.get(_METRICS_DIR_ENV)
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink()
    else:
        directory = tempfile.mkdtemp(prefix="payflow-gateway-metrics-")
        _created_metrics_dir.append(directory)
        os.environ[_METRICS_DIR_ENV] = directory


def post_fork(server: Any, worker: Any) -> None:
    """Ask the kernel to SIGKILL this worker when its master dies (even by kill -9): an orphan would go on
    answering on its own listening socket with nobody supervising it. SIGKILL, not gunicorn's SIGQUIT: a
    quick exit still ran the worker_exit hook and waited on the relay threads, seconds under load (seen
    over 8 s). Dying at once is safe: a 202 is only sent after its commit, an unconfirmed outbox row is
    relayed again, and a retried request with its Idempotency-Key gets the first answer."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server.pid:  # the master died before the request above took effect
        os.kill(os.getpid(), signal.SIGKILL)


def when_ready(server: Any) -> None:
    """Serve every worker's metrics from the master on their own bind: the public port has no /metrics."""
    from prometheus_client import CollectorRegistry, make_wsgi_app, multiprocess  # noqa: PLC0415 - see above

    from app.metrics_server import bind_http, serve_until  # noqa: PLC0415 - see above

    host, port = _settings.metrics_bind
    if not port:
        return
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
    server = bind_http(host, port, make_wsgi_app(registry))  # here, on the thread that forks the workers
    if server is not None:
        serving = (server, _metrics_stop)
        threading.Thread(target=serve_until, args=serving, name="gateway-metrics", daemon=True).start()


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay summed in)."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - see the comment above on_starting

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    _metrics_stop.set()
    for directory in _created_metrics_dir:
        shutil.rmtree(directory, ignore_errors=True)


def worker_exit(server: Any, worker: Any) -> None:
    """Stop this worker's relay and purge threads once its requests have drained."""
    wsgi = sys.modules.get("wsgi")
    if wsgi is not None:
        wsgi.background.shutdown()
