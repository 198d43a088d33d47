"""An Idempotency-Key header sent twice, through the real gunicorn: the server joins the two lines with a
comma, so the gateway refuses it (400) instead of storing a key the client never sent, and a retry that
sends the key once makes the one order."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid
from typing import Any

import pytest

from tests.support.system import RunningSystem

pytestmark = pytest.mark.e2e
USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


def post_order(base_url: str, headers: list[tuple[str, str]]) -> tuple[int, Any]:
    """POST /orders with these header lines exactly as given (repeats included)."""
    url = urllib.parse.urlparse(base_url)
    body = json.dumps({"userId": USER, "total": 40.01}).encode()
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.putrequest("POST", f"{url.path}/orders")
        for name, value in [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *headers,
        ]:
            conn.putheader(name, value)
        conn.endheaders(body)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def test_a_key_sent_twice_is_refused_and_a_retry_sending_it_once_makes_one_order(
    system: RunningSystem,
) -> None:
    key = f"twice-{uuid.uuid4().hex}"

    refused = post_order(system.api.base_url, [("Idempotency-Key", key), ("Idempotency-Key", key)])
    first = post_order(system.api.base_url, [("Idempotency-Key", key)])
    again = post_order(system.api.base_url, [("Idempotency-Key", key)])

    assert refused[0] == 400
    assert "Idempotency-Key must be sent once" in refused[1]["message"]
    assert (first[0], again[0]) == (202, 202)
    assert again[1]["orderId"] == first[1]["orderId"]
