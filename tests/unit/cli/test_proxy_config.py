"""The nginx template agrees with the gateway: body limit, error shape, and every placeholder filled."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from app.cli.proxy import TEMPLATE, ProxyLimits, render
from app.gateway.json_body import MAX_BODY_BYTES

SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def directive(config: str, name: str) -> str:
    [value] = re.findall(rf"^\s*{name}\s+([^;]+);", config, re.MULTILINE)
    return value


def size_in_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * SIZE_UNITS[unit.lower()]


def error_pages(config: str) -> dict[int, dict[str, object]]:
    """The JSON body each internal error location returns, by status."""
    found = re.findall(r"location = /_errors/(\d+) \{.*?return (\d+) '([^']*)';", config, re.DOTALL)
    pages = {}
    for page, status, body in found:
        assert page == status, f"/_errors/{page} answers {status}"
        pages[int(status)] = json.loads(body.replace("$payflow_correlation", "cid").replace("\\n", ""))
    return pages


def test_the_proxy_refuses_bodies_over_exactly_the_gateways_limit() -> None:
    config = render("127.0.0.1:3000", "127.0.0.1:3001", ProxyLimits())

    assert size_in_bytes(directive(config, "client_max_body_size")) == MAX_BODY_BYTES
    assert size_in_bytes(directive(config, "client_body_buffer_size")) >= MAX_BODY_BYTES


def test_rendering_fills_every_placeholder_of_the_template() -> None:
    limits = ProxyLimits(rate="7r/s", burst=11, connections=13)

    config = render("0.0.0.0:3000", "unix:/run/gateway.sock", limits)

    assert "${" in TEMPLATE.read_text(encoding="utf-8")
    assert "${" not in config
    assert "rate=7r/s" in config
    assert "burst=11 nodelay" in config
    assert "server unix:/run/gateway.sock;" in config


def test_a_client_has_10_seconds_for_its_header_and_for_each_pause_in_its_body_unless_told_otherwise() -> (
    None
):
    default = render("127.0.0.1:3000", "127.0.0.1:3001", ProxyLimits())
    short = render("127.0.0.1:3000", "127.0.0.1:3001", ProxyLimits(header_timeout="1s", body_timeout="2s"))

    assert (directive(default, "client_header_timeout"), directive(default, "client_body_timeout")) == (
        "10s",
        "10s",
    )
    assert (directive(short, "client_header_timeout"), directive(short, "client_body_timeout")) == (
        "1s",
        "2s",
    )


def test_every_error_page_nginx_serves_is_the_gateways_error_shape() -> None:
    config = render("127.0.0.1:3000", "127.0.0.1:3001", ProxyLimits())
    redirected = {int(code) for code in re.findall(r"error_page (\d+) (?:=\d+ )?/_errors/", config)}

    pages = error_pages(config)

    assert {400, 413, 414, 429, 494, 502, 503, 504} <= redirected
    assert set(pages) == (redirected - {494}) | {431}
    for status, body in pages.items():
        assert list(body) == ["statusCode", "error", "message", "correlationId"], status
        assert body["statusCode"] == status
        assert body["error"] == HTTPStatus(status).phrase
