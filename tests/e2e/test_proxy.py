"""nginx in front of the real gateway: requests pass through, limits answer 429, nginx's errors are JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from app.cli.proxy import ProxyLimits
from tests.support.http import Api
from tests.support.proxy import RawResponse, exchange, running_proxy
from tests.support.system import RunningSystem, free_port

STRICT = ProxyLimits(rate="1r/s", burst=5, connections=64)
ORDER = json.dumps({"userId": str(uuid.uuid4()), "total": 12.01}).encode()
BIG_BODY = b'{"userId": "' + b"x" * 70_000 + b'"}'


def post(body: bytes, framing: str) -> bytes:
    return b"POST /api/orders HTTP/1.1\r\nHost: payflow\r\nContent-Type: application/json\r\n%s\r\n\r\n%s" % (
        framing.encode(),
        body,
    )


def chunked(body: bytes) -> bytes:
    chunks = [body[start : start + 4096] for start in range(0, len(body), 4096)]
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


# Requests nginx answers itself, before the gateway sees anything.
REFUSED = {
    "malformed request line": (b"NOT HTTP AT ALL\r\n\r\n", 400),
    "request line over 8 KiB": (b"GET /api/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: payflow\r\n\r\n", 414),
    "header over 8 KiB": (b"GET /api/health/live HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    "body over 64 KiB with Content-Length": (post(BIG_BODY, f"Content-Length: {len(BIG_BODY)}"), 413),
    "body over 64 KiB chunked": (post(chunked(BIG_BODY), "Transfer-Encoding: chunked"), 413),
    "invalid chunk size": (post(b"zz\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "unknown transfer coding": (post(ORDER, "Transfer-Encoding: gzip"), 501),
    "HTTP/2.0 request line": (b"GET /api/health/live HTTP/2.0\r\nHost: payflow\r\n\r\n", 505),
    "metrics are not exposed": (b"GET /metrics HTTP/1.1\r\nHost: payflow\r\nConnection: close\r\n\r\n", 404),
}


@pytest.fixture(scope="module")
def proxy(system: RunningSystem) -> Iterator[str]:
    with running_proxy(system.env["PAYFLOW_HTTP_BIND"], STRICT) as address:
        yield address


def assert_error_shape(reply: RawResponse, status: int) -> None:
    body = reply.json()
    assert reply.headers["content-type"] == "application/json"
    assert body["statusCode"] == status
    assert body["error"] == HTTPStatus(status).phrase
    assert body["message"]
    assert body["correlationId"] == reply.headers["x-correlation-id"]


def test_an_order_posted_through_the_proxy_is_accepted_and_keeps_its_one_correlation_id(proxy: str) -> None:
    framing = f"Content-Length: {len(ORDER)}\r\nX-Correlation-Id: through-nginx-1\r\nConnection: close"

    reply = exchange(proxy, post(ORDER, framing))

    assert reply.status == 202, reply.body
    assert "orderId" in reply.json()
    assert reply.headers["x-correlation-id"] == "through-nginx-1"  # once: nginx does not add a second


@pytest.mark.parametrize("case", REFUSED)
def test_every_error_nginx_produces_is_json_in_the_usual_error_shape(proxy: str, case: str) -> None:
    request, status = REFUSED[case]

    reply = exchange(proxy, request)

    assert reply.status == status, reply.body
    assert_error_shape(reply, status)


def test_a_gateway_that_is_down_is_a_json_502_with_retry_after() -> None:
    with running_proxy(f"127.0.0.1:{free_port()}") as address:
        reply = Api(f"http://{address}/api").get("/health/live", headers={"X-Correlation-Id": "probe-1"})

    assert reply.status == 502
    assert reply.body["correlationId"] == "probe-1"
    assert reply.header("Retry-After") == "5"


def test_one_api_key_over_its_rate_gets_429_with_retry_after_while_another_key_is_served(
    proxy: str,
) -> None:
    api = Api(f"http://{proxy}/api")
    greedy = {"Authorization": "Bearer greedy-client"}

    replies = [api.get("/health/live", headers=greedy) for _ in range(30)]
    other = api.get("/health/live", headers={"Authorization": "Bearer patient-client"})

    limited = [reply for reply in replies if reply.status == 429]
    assert {reply.status for reply in replies} == {200, 429}
    assert limited[0].header("Retry-After") == "1"
    assert limited[0].body["statusCode"] == 429
    assert limited[0].body["error"] == "Too Many Requests"
    assert other.status == 200


def test_an_address_inventing_a_new_key_per_request_is_held_to_its_address_rate(
    system: RunningSystem,
) -> None:
    per_address = ProxyLimits(rate="100r/s", burst=5, connections=64, address_rate="1r/s")
    with running_proxy(system.env["PAYFLOW_HTTP_BIND"], per_address) as address:
        api = Api(f"http://{address}/api")
        replies = [
            api.get("/health/live", headers={"Authorization": f"Bearer made-up-{n}"}) for n in range(30)
        ]

    assert {reply.status for reply in replies} == {200, 429}
    assert sum(reply.status == 429 for reply in replies) >= 20
