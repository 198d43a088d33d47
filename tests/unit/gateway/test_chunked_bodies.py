"""A body sent chunked meets the same limit and the same errors as one sent with a Content-Length."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.unit.gateway.fake_gateway import USER, FakeGateway

ORDER = json.dumps({"userId": str(USER), "total": 1}).encode()


class BrokenChunks(io.RawIOBase):
    """A server's body stream that fails mid-read, as gunicorn's does on an invalid chunk size."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise ValueError("Invalid chunk size: b'zz'")


def send_chunked(
    app: Flask, path: str, stream: Any, method: str = "POST", coding: str = "chunked"
) -> tuple[int, dict[str, Any]]:
    """The environ gunicorn hands over for a chunked body: no CONTENT_LENGTH, the input terminated."""
    environ = EnvironBuilder(path, method=method, headers={"Transfer-Encoding": coding}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"CONTENT_TYPE": "application/json", "wsgi.input": stream, "wsgi.input_terminated": True})
    body, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    return int(status[:3]), json.loads(b"".join(body))


def test_a_chunked_body_over_64_kib_whose_start_is_a_valid_order_is_413_and_creates_nothing(
    app: Flask, fakes: FakeGateway
) -> None:
    body = ORDER + b" " * (67 * 1024 - len(ORDER))

    status, answer = send_chunked(app, "/api/orders", io.BytesIO(body))

    assert status == 413
    assert answer["message"] == "Request body is larger than 64 KiB"
    assert fakes.commands.commands == []


def test_the_transfer_coding_is_matched_whatever_its_case(app: Flask, fakes: FakeGateway) -> None:
    body = ORDER + b" " * (67 * 1024 - len(ORDER))

    status, _ = send_chunked(app, "/api/orders", io.BytesIO(body), coding="Chunked")

    assert status == 413
    assert fakes.commands.commands == []


def test_a_chunked_body_one_byte_over_the_limit_is_413(app: Flask, fakes: FakeGateway) -> None:
    body = ORDER + b" " * (64 * 1024 + 1 - len(ORDER))

    status, _ = send_chunked(app, "/api/orders", io.BytesIO(body))

    assert status == 413
    assert fakes.commands.commands == []


def test_a_chunked_body_over_the_limit_is_413_even_on_a_route_that_reads_no_body(app: Flask) -> None:
    status, _ = send_chunked(app, f"/api/orders/{uuid.uuid4()}/cancel", io.BytesIO(b" " * 70_000), "PATCH")

    assert status == 413


def test_a_chunked_body_whose_framing_breaks_is_400_and_creates_nothing(
    app: Flask, fakes: FakeGateway
) -> None:
    status, answer = send_chunked(app, "/api/orders", BrokenChunks())

    assert status == 400
    assert "chunked framing" in answer["message"]
    assert fakes.commands.commands == []
