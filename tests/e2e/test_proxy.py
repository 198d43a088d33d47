"""nginx in front of the real gateway: requests pass through, limits answer 429, nginx's errors are JSON,
and a client that stalls is cut off before the gateway sees a byte of its request."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from app.cli.proxy import ProxyLimits
from tests.support.http import Api
from tests.support.proxy import (
    RawResponse,
    exchange,
    parse,
    requests_in_progress,
    running_proxy,
    send_slowly,
)
from tests.support.system import ROOT, RunningSystem, free_port
from tests.support.waiting import wait_until

TEMPLATE = ROOT / "docker" / "nginx" / "payflow.conf.template"
STRICT = ProxyLimits(rate="1r/s", burst=5, connections=64)
# Rates far above anything these tests send: only the limit under test can answer.
OPEN = ProxyLimits(rate="10000r/s", burst=10000, address_rate="10000r/s")
# Timeouts of 1 s instead of production's 10 s, so a stalled client is cut within a test's patience.
QUICK = dataclasses.replace(OPEN, header_timeout="1s", body_timeout="1s")
THREE_AT_ONCE = dataclasses.replace(OPEN, connections=3)
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
    "request line over 8,180 bytes": (
        b"GET /api/" + b"a" * 8200 + b" HTTP/1.1\r\nHost: payflow\r\n\r\n",
        414,
    ),
    "header over 8,180 bytes": (b"GET /api/health/live HTTP/1.1\r\nX-Big: " + b"a" * 8200 + b"\r\n\r\n", 431),
    "body over 64 KiB with Content-Length": (post(BIG_BODY, f"Content-Length: {len(BIG_BODY)}"), 413),
    "body over 64 KiB chunked": (post(chunked(BIG_BODY), "Transfer-Encoding: chunked"), 413),
    "invalid chunk size": (post(b"zz\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "unknown transfer coding": (post(ORDER, "Transfer-Encoding: gzip"), 501),
    "HTTP/2.0 request line": (b"GET /api/health/live HTTP/2.0\r\nHost: payflow\r\n\r\n", 505),
    "metrics are not exposed": (b"GET /metrics HTTP/1.1\r\nHost: payflow\r\nConnection: close\r\n\r\n", 404),
    "TRACE": (b"TRACE /api/health/live HTTP/1.1\r\nHost: payflow\r\nConnection: close\r\n\r\n", 405),
    "a thousand header lines": (
        b"GET /api/health/live HTTP/1.1\r\nHost: payflow\r\n" + b"X-H: v\r\n" * 1000 + b"\r\n",
        431,
    ),
}


def get(target: bytes, headers: bytes = b"", eol: bytes = b"\r\n") -> bytes:
    return (
        b"GET "
        + target
        + b" HTTP/1.1"
        + eol
        + b"Host: payflow"
        + eol
        + b"Connection: close"
        + eol
        + headers
        + eol
    )


def line_of(length: int) -> bytes:
    """A target that makes the request line `length` bytes long."""
    return b"/api/health/live?q=" + b"a" * (length - len(b"GET  HTTP/1.1") - len(b"/api/health/live?q="))


def header_line(length: int, separator: bytes = b": ", eol: bytes = b"\r\n") -> bytes:
    return b"X-Big" + separator + b"a" * (length - len(b"X-Big") - len(separator)) + eol


# As large as nginx lets through (a buffer of `large_client_header_buffers` holds a line and its line end),
# including the lines nginx lengthens on the way (a space after the colon, CRLF for a bare LF): gunicorn must
# take them too, or its refusal, an HTML page, reaches the client.
[(SIZE, UNIT)] = re.findall(
    r"large_client_header_buffers \d+ (\d+)(k?);", TEMPLATE.read_text(encoding="utf-8")
)
BUFFER = int(SIZE) * (1024 if UNIT else 1)
LARGEST = {
    "the longest request line": get(line_of(BUFFER - 2)),
    "the longest request line ending in a bare LF": get(line_of(BUFFER - 1), eol=b"\n"),
    "the longest header line": get(b"/api/health/live", header_line(BUFFER - 2)),
    "the longest header line without a space after the colon": get(
        b"/api/health/live", header_line(BUFFER - 2, b":")
    ),
    "the longest header line with a tab after the colon": get(
        b"/api/health/live", header_line(BUFFER - 2, b":\t")
    ),
    "the longest header line ending in a bare LF": get(
        b"/api/health/live", header_line(BUFFER - 1, eol=b"\n"), b"\n"
    ),
    "two hundred header lines": get(b"/api/health/live", b"".join(b"X-H%d: v\r\n" % n for n in range(200))),
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


@pytest.mark.parametrize(
    ("request_bytes", "status"), [(get(line_of(BUFFER - 1)), 414), (get(b"/", header_line(BUFFER - 1)), 431)]
)
def test_a_line_one_byte_longer_is_nginxs_own_json_refusal(
    proxy: str, request_bytes: bytes, status: int
) -> None:
    reply = exchange(proxy, request_bytes)

    assert reply.status == status
    assert_error_shape(reply, status)


def test_trace_is_a_json_405_naming_the_method(proxy: str) -> None:
    reply = exchange(proxy, REFUSED["TRACE"][0])

    assert reply.json()["message"] == "Method TRACE is not allowed"
    assert reply.headers["allow"] == "GET, HEAD, POST, PATCH, OPTIONS"
    assert reply.headers["x-correlation-id"] == reply.json()["correlationId"]


@pytest.mark.parametrize("case", LARGEST)
def test_the_largest_requests_nginx_lets_through_reach_the_gateway(quick_proxy: str, case: str) -> None:
    reply = exchange(quick_proxy, LARGEST[case])

    assert (reply.status, reply.headers["content-type"]) == (200, "application/json"), reply.body[:200]
    assert reply.json() == {"status": "ok"}


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


HEALTH = b"GET /api/health/live HTTP/1.1\r\nHost: payflow\r\nConnection: close\r\n\r\n"
STALLED_HEADERS = {
    "idle connection": b"",
    "half a request line": b"POST /api/ord",
    "half a header": b"POST /api/orders HTTP/1.1\r\nHost: payflow\r\nContent-Ty",
}
STALLED_BODIES = {
    "half a body": (f"Content-Length: {len(ORDER)}", ORDER[:10]),
    "no body at all": (f"Content-Length: {len(ORDER)}", b""),
    "half a chunk": ("Transfer-Encoding: chunked", b"%x\r\n%s" % (len(ORDER), ORDER[:10])),
}


@pytest.fixture(scope="module")
def quick_proxy(system: RunningSystem) -> Iterator[str]:
    with running_proxy(system.env["PAYFLOW_HTTP_BIND"], QUICK) as address:
        yield address


@pytest.fixture(scope="module")
def three_at_once(system: RunningSystem) -> Iterator[str]:
    with running_proxy(system.env["PAYFLOW_HTTP_BIND"], THREE_AT_ONCE) as address:
        yield address


def in_pieces(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def order_with_id(correlation_id: str) -> bytes:
    return post(
        ORDER, f"Content-Length: {len(ORDER)}\r\nX-Correlation-Id: {correlation_id}\r\nConnection: close"
    )


@pytest.mark.parametrize("case", STALLED_HEADERS)
def test_a_client_that_stalls_before_its_header_ends_is_disconnected_without_an_answer(
    quick_proxy: str, case: str
) -> None:
    cut = send_slowly(quick_proxy, [STALLED_HEADERS[case]], pause_s=0)

    assert cut.received == b""
    assert 0.9 <= cut.seconds < 3, cut  # the 1 s header timeout, not sooner


def test_a_header_trickling_in_is_cut_once_it_took_longer_than_the_header_timeout_in_all(
    quick_proxy: str,
) -> None:
    request = order_with_id("trickled-header")
    header = request[: request.index(b"\r\n\r\n") + 4]
    pieces = in_pieces(header, 10)  # a piece every 0.4 s: each pause is within 1 s, the whole is not

    cut = send_slowly(quick_proxy, pieces, pause_s=0.4)

    assert len(pieces) >= 10
    assert cut.received == b""
    assert cut.pieces_sent < len(pieces)
    assert 0.9 <= cut.seconds < 3, cut


@pytest.mark.parametrize("case", STALLED_BODIES)
def test_a_client_that_stalls_mid_body_is_disconnected_without_an_answer_and_the_gateway_never_sees_it(
    system: RunningSystem, quick_proxy: str, case: str
) -> None:
    stalled, after = (f"{name}-{uuid.uuid4().hex[:10]}" for name in ("stalled", "after"))
    framing, partial = STALLED_BODIES[case]
    request = post(partial, f"{framing}\r\nX-Correlation-Id: {stalled}")

    cut = send_slowly(quick_proxy, [request], pause_s=0)
    reply = exchange(quick_proxy, order_with_id(after))
    # The gateway logs every request it receives: once it logged the later one, it had the stalled one too.
    wait_until(
        lambda: after in system.logs("gateway"), timeout=10, what="the gateway to log the later request"
    )

    assert cut.received == b""
    assert 0.9 <= cut.seconds < 3, cut  # the 1 s body timeout, not sooner
    assert reply.status == 202, reply.body
    assert stalled not in system.logs("gateway")


def test_a_body_whose_every_pause_is_within_the_body_timeout_is_delivered_whole(quick_proxy: str) -> None:
    request = order_with_id("slow-body")
    header_end = request.index(b"\r\n\r\n") + 4
    pieces = [request[:header_end], *in_pieces(request[header_end:], 12)]  # 0.4 s apart: 2 s in all

    sent = send_slowly(quick_proxy, pieces, pause_s=0.4)

    assert sent.pieces_sent == len(pieces)
    assert sent.seconds > 1.5  # longer than the body timeout in all
    assert parse(sent.received).status == 202


def test_an_address_with_more_requests_in_progress_than_its_limit_gets_a_json_429_while_another_is_served(
    three_at_once: str,
) -> None:
    with requests_in_progress(three_at_once, 2):
        third = exchange(three_at_once, HEALTH)
        with requests_in_progress(three_at_once, 1):
            fourth = wait_until(
                lambda: refused(exchange(three_at_once, HEALTH)), timeout=10, what="a fourth request refused"
            )
            from_elsewhere = exchange(three_at_once, HEALTH, source="127.0.0.2")
    # Closed, the held requests no longer count.
    after = wait_until(lambda: served(exchange(three_at_once, HEALTH)), timeout=10, what="a request served")

    assert third.status == 200
    assert fourth.status == 429
    assert_error_shape(fourth, 429)
    assert fourth.headers["retry-after"] == "1"
    assert from_elsewhere.status == 200
    assert after.status == 200


def refused(reply: RawResponse) -> RawResponse | None:
    return reply if reply.status == 429 else None


def served(reply: RawResponse) -> RawResponse | None:
    return reply if reply.status == 200 else None
