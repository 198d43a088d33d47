"""Correlation ids: taken from the request when well-formed, else generated; echoed, logged and timed."""

import logging
import re
import time
import uuid
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import request

from app.logs import log_context

log = logging.getLogger("app.gateway.access")

HEADER = "X-Correlation-Id"
_ENVIRON_KEY = "payflow.correlation_id"
_INCOMING = ("HTTP_X_CORRELATION_ID", "HTTP_X_REQUEST_ID")
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def correlation_id() -> str:
    """The id of the request being handled (a fresh one for a request that did not pass the middleware)."""
    return str(request.environ.get(_ENVIRON_KEY) or uuid.uuid4())


class CorrelationMiddleware:
    """Wraps the Flask WSGI app: log context for the whole request, header on every response, access log."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The caller's id when it is 1-100 safe characters, otherwise a fresh uuid4.
        sent = (environ.get(key) for key in _INCOMING)
        cid = next((c for c in sent if isinstance(c, str) and _WELL_FORMED.fullmatch(c)), str(uuid.uuid4()))
        environ[_ENVIRON_KEY] = cid
        started = time.perf_counter()

        def start_with_header(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            headers.append((HEADER, cid))
            elapsed_ms = (time.perf_counter() - started) * 1000
            method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            log.info("%s %s %s %.1fms", method, path, status[:3], elapsed_ms)
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]

        with log_context(correlation_id=cid):
            return self._app(environ, start_with_header)  # type: ignore[arg-type]
