"""Bodies as a hostile client frames them, on raw sockets to the real gunicorn: never cut, never a 500."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from typing import Any

import pytest

from tests.support.system import RunningSystem
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

ERROR_KEYS = {"statusCode", "error", "message", "correlationId"}


def exchange(system: RunningSystem, head: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Sends a request exactly as written and reads the one answer."""
    host, port = system.env["PAYFLOW_HTTP_BIND"].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        reply = http.client.HTTPResponse(sock)
        reply.begin()
        return reply.status, json.loads(reply.read())


def chunked_post(system: RunningSystem, chunks: bytes) -> tuple[int, dict[str, Any]]:
    head = "POST /api/orders HTTP/1.1\nHost: gw\nContent-Type: application/json\nTransfer-Encoding: chunked\n"
    return exchange(system, head, chunks)


def in_chunks(body: bytes, size: int = 4096) -> bytes:
    parts = [body[at : at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def orders_of(system: RunningSystem, user: uuid.UUID) -> int:
    return int(system.api.get(f"/orders?userId={user}").body["meta"]["total"])


def test_a_67_kib_chunked_body_starting_with_a_valid_order_is_413_and_creates_no_order(
    system: RunningSystem,
) -> None:
    user = uuid.uuid4()
    order = json.dumps({"userId": str(user), "total": 12.34}).encode()
    padded = order + b" " * (67 * 1024 - len(order))

    status, body = chunked_post(system, in_chunks(padded))

    assert (status, set(body)) == (413, ERROR_KEYS)
    assert body["message"] == "Request body is larger than 64 KiB"
    # The same order sent chunked within the limit is stored, and is the user's only one: the refused
    # body created nothing.
    assert chunked_post(system, in_chunks(order, size=7))[0] == 202
    wait_until(lambda: orders_of(system, user) >= 1, timeout=30, what="the later order to be stored")
    assert orders_of(system, user) == 1


@pytest.mark.parametrize(
    "framing", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"-1\r\n{}\r\n0\r\n\r\n"]
)
def test_a_chunked_body_with_broken_framing_is_400_in_the_error_shape(
    system: RunningSystem, framing: bytes
) -> None:
    status, body = chunked_post(system, framing)

    assert (status, set(body)) == (400, ERROR_KEYS)
    assert "chunked framing" in body["message"]


def test_a_huge_exponent_through_gunicorn_is_400_naming_the_number(system: RunningSystem) -> None:
    raw = b'{"userId": "%s", "total": 1e9999999999999999999999}' % str(uuid.uuid4()).encode()

    reply = system.api.post("/orders", raw=raw)

    assert reply.status == 400
    assert reply.body["message"] == "Number 1e9999999999999999999999 is out of range"
