"""Log lines: JSON with the correlation, event and order ids that apply, and never a password from a URL."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from app.bus.tasks import handle_message
from app.cli import main
from app.contracts import Envelope, OrderCreated
from app.logs import JsonFormatter, RedactingFilter, _ContextFilter, log_context, redact_secrets

log = logging.getLogger("tests.logs")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """A JSON handler on the root logger, as configure_logging installs it, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def order_created_json() -> str:
    event = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("12.50"))
    return event.to_envelope("corr-logs").to_json()


def parsed(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_handler_log_line_carries_the_correlation_event_and_order_ids(lines: io.StringIO) -> None:
    envelope = Envelope.from_json(order_created_json())

    handle_message(envelope.to_json().encode(), {"order.created": lambda _: log.info("storing order")})

    [line] = [entry for entry in parsed(lines) if entry["message"] == "storing order"]
    assert line["correlation_id"] == "corr-logs"
    assert line["event_id"] == str(envelope.id)
    assert line["event_type"] == "order.created"
    assert line["order_id"] == envelope.payload["orderId"]


def test_a_line_outside_any_context_has_no_empty_id_fields(lines: io.StringIO) -> None:
    log.info("starting")

    [line] = parsed(lines)
    assert set(line) == {"time", "level", "logger", "message"}


def test_passwords_in_urls_are_redacted_from_messages_and_arguments(lines: io.StringIO) -> None:
    with log_context(correlation_id="c-1"):
        log.warning("cannot reach %s", "postgresql+psycopg2://payflow:s3cr3t@db:5432/payflow")
        log.info("broker amqp://guest:hunter2@rabbit:5672// down")

    text = lines.getvalue()
    assert "s3cr3t" not in text
    assert "hunter2" not in text
    assert "postgresql+psycopg2://payflow:***@db:5432/payflow" in text
    assert "amqp://guest:***@rabbit:5672//" in text


def test_passwords_in_tracebacks_are_redacted(lines: io.StringIO) -> None:
    try:
        raise ConnectionError("could not connect to amqp://guest:topsecret@rabbit//")
    except ConnectionError:
        log.exception("relay failed")

    [line] = parsed(lines)
    assert "topsecret" not in json.dumps(line)
    assert "amqp://guest:***@rabbit//" in line["error"]


def test_redaction_leaves_urls_without_passwords_alone() -> None:
    text = "see http://example.org/a:b@c and postgresql://postgres@127.0.0.1/payflow"

    assert redact_secrets(text) == text


def test_a_cli_error_line_never_shows_a_url_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAYFLOW_DATABASE_URL", "postgresql://payflow:s3cr3t@db/payflow")
    monkeypatch.setenv("PAYFLOW_HTTP_WORKERS", "postgresql://payflow:s3cr3t@db/payflow")

    code = main(["openapi"])

    assert code == 2
    error = capsys.readouterr().err
    assert "PAYFLOW_HTTP_WORKERS" in error
    assert "s3cr3t" not in error
