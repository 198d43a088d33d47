"""Bodies sent without a Content-Length (chunked) are read here once, bounded, so the body limit and the
errors of a broken body are the same whatever framing the client chose."""

import io
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from app.gateway.errors import MalformedBody

_UNREADABLE = "payflow.unreadable_body"
_READ_SIZE = 16 * 1024


class BufferedBody:
    """Wraps the Flask WSGI app. werkzeug reads a chunked body only up to the limit and then stops,
    without telling anyone more was sent: a longer body would be cut and its first part parsed. Here
    the body is read up to one byte past the limit, then handed on with the Content-Length it has."""

    def __init__(self, app: WSGIApplication, limit: int) -> None:
        self._app = app
        self._limit = limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("CONTENT_LENGTH") is None
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            body = self._read(environ)
            environ.pop("HTTP_TRANSFER_ENCODING")  # de-chunked: what follows reads a body of known length
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)
        return self._app(environ, start_response)

    def _read(self, environ: WSGIEnvironment) -> bytes:
        """At most limit + 1 bytes: enough to know the body is too long, never the whole of it."""
        stream, body = environ["wsgi.input"], bytearray()
        try:
            while len(body) <= self._limit:
                data = stream.read(min(_READ_SIZE, self._limit + 1 - len(body)))
                if not data:
                    break
                body += data
        # The server's framing errors (gunicorn: InvalidChunkSize, ChunkMissingTerminator, NoMoreData) share
        # no base class the gateway could name without importing the server; any failure to read is the
        # body's, and the server closes that connection after the answer.
        except Exception as exc:  # noqa: BLE001
            environ[_UNREADABLE] = type(exc).__name__
            return b""
        return bytes(body)


def refuse_unreadable_or_oversized_body() -> None:
    """before_request hook: a body that could not be read is 400 and one over the limit is 413, whether
    or not the route reads its body."""
    if _UNREADABLE in request.environ:
        raise MalformedBody("Request body could not be read: its chunked framing is invalid or incomplete")
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
