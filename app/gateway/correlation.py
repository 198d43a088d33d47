"""Correlation ids: taken from the request when well-formed, else generated; echoed, logged and timed."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import has_request_context, request

from app.logs import log_context

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("app.gateway.access")

HEADER = "X-Correlation-Id"
_ENVIRON_KEY = "payflow.correlation_id"
_INCOMING = ("HTTP_X_CORRELATION_ID", "HTTP_X_REQUEST_ID")
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def pick_correlation_id(environ: WSGIEnvironment) -> str:
    """The caller's id when it is 1-100 safe characters, otherwise a fresh uuid4."""
    for key in _INCOMING:
        candidate = environ.get(key)
        if isinstance(candidate, str) and _WELL_FORMED.fullmatch(candidate):
            return candidate
    return str(uuid.uuid4())


def correlation_id() -> str:
    """The id of the request being handled (a fresh one outside a request, e.g. in a CLI)."""
    if has_request_context() and _ENVIRON_KEY in request.environ:
        return str(request.environ[_ENVIRON_KEY])
    return str(uuid.uuid4())


class CorrelationMiddleware:
    """Wraps the Flask WSGI app: log context for the whole request, header on every response, access log."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        cid = pick_correlation_id(environ)
        environ[_ENVIRON_KEY] = cid
        started = time.perf_counter()

        def start_with_header(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            headers.append((HEADER, cid))
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s %.1fms",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                status[:3],
                elapsed_ms,
            )
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]

        with log_context(correlation_id=cid):
            return self._app(environ, start_with_header)  # type: ignore[arg-type]
