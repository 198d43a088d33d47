"""Text logs: whatever a client sends, one record is one line, and a forged record cannot pass as real."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from app.logs import RedactingFilter, TextFormatter, log_context
from tests.unit.gateway.fake_gateway import FakeGateway, unit_settings

FORMAT = "%(asctime)s %(levelname)s [gateway] %(name)s: %(message)s"
FORGED = "2026-11-30 04:00:00,000 INFO [gateway] app.gateway.access: GET /api/admin 200"


@pytest.fixture
def text_lines() -> Iterator[io.StringIO]:
    """The text handler configure_logging installs, on the root logger, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(TextFormatter(FORMAT))
    root, level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def records(stream: io.StringIO) -> list[str]:
    """Lines that start a record (continuation lines of a traceback are indented)."""
    return [line for line in stream.getvalue().splitlines() if not line.startswith(" ")]


def test_a_line_break_in_the_path_stays_inside_the_one_access_log_line(text_lines: io.StringIO) -> None:
    client = FakeGateway().build(unit_settings()).test_client()

    client.get("/api/orders%0a" + FORGED.replace(" ", "%20") + "%0d%0a%1b[2J")

    access = [line for line in text_lines.getvalue().splitlines() if "app.gateway.access" in line]
    assert len(access) == 1
    assert "/api/orders\\n2026-11-30" in access[0]
    assert "\\r\\n\\x1b[2J 404" in access[0]


@pytest.mark.parametrize("sent", ["a\nb", "a\rb", "a\u2028b", "a\x85b", "a\x00b", "a\\nb"])
def test_control_characters_and_unicode_line_breaks_in_a_message_are_escaped(
    text_lines: io.StringIO, sent: str
) -> None:
    logging.getLogger("tests.text").info("got %s", sent)

    (line,) = text_lines.getvalue().splitlines()
    assert line.endswith("got " + sent.encode("unicode_escape").decode())


def test_an_id_in_the_context_is_escaped_too(text_lines: io.StringIO) -> None:
    with log_context(order_id="o-1\n" + FORGED):
        logging.getLogger("tests.text").info("applied")

    assert records(text_lines) == [text_lines.getvalue().rstrip("\n")]


def test_a_traceback_keeps_its_lines_indented_so_a_forged_record_inside_it_is_not_a_record(
    text_lines: io.StringIO,
) -> None:
    try:
        raise KeyError("\n" + FORGED)
    except KeyError:
        logging.getLogger("tests.text").exception("failed")

    (record,) = records(text_lines)
    assert record.endswith("tests.text: failed")
    assert "Traceback (most recent call last):" in text_lines.getvalue()
