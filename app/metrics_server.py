"""A small HTTP server for metrics and probes that slow or idle clients cannot exhaust, naming no versions."""

import logging
import queue
import socket
import threading
import time
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer
from wsgiref.types import WSGIApplication

log = logging.getLogger(__name__)

POLL_S = 0.5
HANDLER_THREADS = 4  # a scrape and a probe or two at a time; every other connection waits in line
CONNECTION_DEADLINE_S = 3.0  # from accept to the last byte read: a slow or idle client is dropped after it
SERVER_NAME = "payflow"  # the Server header: no framework, no Python version
MAX_REQUEST_LINE = 8192


class _AnonymousServerHandler(ServerHandler):
    server_software = SERVER_NAME


class _QuietHandler(WSGIRequestHandler):
    """One request per connection, answered with a Server header that names no software version."""

    def version_string(self) -> str:
        return SERVER_NAME

    def log_message(self, format: str, *args: object) -> None:
        """Probes every few seconds would drown the log; Prometheus records scrape failures itself."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        environ = self.get_environ()
        wfile: Any = self.wfile  # typeshed types it BufferedIOBase, ServerHandler wants IO[bytes]
        served = _AnonymousServerHandler(self.rfile, wfile, self.get_stderr(), environ, multithread=True)
        served.request_handler = self  # type: ignore[attr-defined]  # wsgiref logs through it
        served.run(self.server.get_app())  # type: ignore[attr-defined]  # our server is a WSGIServer


class BoundedWSGIServer(WSGIServer):
    """Accepted connections wait in line for one of a fixed few handler threads; each must be done within
    its deadline counted from accept, so a flood of slow clients is cleared one deadline after it stops."""

    request_queue_size = 128  # the listen backlog: a burst of connections is accepted, not refused
    daemon_threads = True

    def __init__(self, address: tuple[str, int], threads: int = HANDLER_THREADS) -> None:
        self._waiting: queue.Queue[tuple[socket.socket, Any, float] | None] = queue.Queue()
        self._handlers: list[threading.Thread] = []  # none yet: a failed bind closes the server at once
        super().__init__(address, _QuietHandler)
        self._handlers = [
            threading.Thread(target=self._serve_waiting, name=f"http-handler-{n}", daemon=True)
            for n in range(threads)
        ]
        for handler in self._handlers:
            handler.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._waiting.put((request, client_address, time.monotonic()))

    def server_close(self) -> None:
        super().server_close()
        for _ in self._handlers:
            self._waiting.put(None)

    def _serve_waiting(self) -> None:
        while (waiting := self._waiting.get()) is not None:
            request, client_address, accepted = waiting
            left_s = CONNECTION_DEADLINE_S - (time.monotonic() - accepted)
            try:
                if left_s > 0:
                    request.settimeout(left_s)
                    self.finish_request(request, client_address)
            except OSError:
                pass  # the client was too slow or went away: nothing to answer
            except Exception:
                log.exception("metrics/probe request failed")
            finally:
                self.shutdown_request(request)


def serve_http(host: str, port: int, app: WSGIApplication, stop: threading.Event) -> None:
    """Answer requests on `host`:`port` until `stop` is set; a taken port (a second process of the role on
    one host) is logged, not fatal: the process runs on without the endpoint."""
    server = bind_http(host, port, app)
    if server is not None:
        serve_until(server, stop)


def bind_http(host: str, port: int, app: WSGIApplication) -> BoundedWSGIServer | None:
    """The server bound and ready to serve `app`, or None (logged) when the port is unusable. Binding looks
    the host name up, which imports the idna codec: a process that forks (gunicorn's master) binds on its
    main thread, so no child is forked while another thread holds a module half imported."""
    try:
        server = BoundedWSGIServer((host, port))
    except OSError as exc:
        log.error("no /metrics or /health endpoint: port %d unusable: %s", port, exc)
        return None
    server.set_app(app)
    server.timeout = POLL_S
    log.info("serving /metrics (and any probes) on %s:%d", host, port)
    return server


def serve_until(server: BoundedWSGIServer, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            server.handle_request()
    finally:
        server.server_close()
