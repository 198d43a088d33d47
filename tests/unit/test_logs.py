"""Log lines: JSON with the correlation, event and order ids of the message they are about, and never a
password from a URL."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest

from app.bus.batches import handle_batch
from app.bus.settlement import RetryPolicy, Settler
from app.cli import main
from app.contracts import Envelope, Incoming, OrderCreated
from app.logs import JsonFormatter, RedactingFilter, log_context, redact_secrets
from tests.unit.bus.fake_delivery import FakeMessage, FakePublisher

log = logging.getLogger("tests.logs")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """A JSON handler on the root logger, as configure_logging installs it, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def order_created_json(correlation_id: str = "corr-logs") -> str:
    event = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("12.50"))
    return event.to_envelope(correlation_id).to_json()


def parsed(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def settle_after(handler: Callable[[Sequence[Incoming[Any]]], frozenset[uuid.UUID]], *bodies: str) -> None:
    """Apply the bodies as one batch, then settle it as the consumer's thread does."""
    outcomes = handle_batch([body.encode() for body in bodies], {OrderCreated: handler})
    journal: list[str] = []
    messages = [FakeMessage(journal, f"m-{n}", body=body.encode()) for n, body in enumerate(bodies)]
    settler = Settler(FakePublisher(journal), RetryPolicy("logs.inbox", 3, (10,)))  # type: ignore[arg-type]
    settler.settle(messages, outcomes)


def broken(batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
    raise RuntimeError("storage refused")


def applied(batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
    return frozenset()


def test_each_outcome_of_a_batch_carries_the_ids_of_its_own_message() -> None:
    first = Envelope.from_json(order_created_json("c-1"))
    second = Envelope.from_json(order_created_json("c-2"))

    outcomes = handle_batch([first.to_json().encode(), second.to_json().encode()], {OrderCreated: applied})

    assert [dict(outcome.context) for outcome in outcomes] == [
        {
            "correlation_id": envelope.correlation_id,
            "event_id": str(envelope.id),
            "event_type": "order.created",
            "order_id": envelope.payload["orderId"],
        }
        for envelope in (first, second)
    ]


def test_a_line_about_a_retried_message_carries_its_correlation_event_and_order_ids(
    lines: io.StringIO,
) -> None:
    envelope = Envelope.from_json(order_created_json())

    settle_after(broken, envelope.to_json())

    [line] = [entry for entry in parsed(lines) if entry["message"].startswith("retrying message")]
    assert line["correlation_id"] == "corr-logs"
    assert line["event_id"] == str(envelope.id)
    assert line["event_type"] == "order.created"
    assert line["order_id"] == envelope.payload["orderId"]
    assert "RuntimeError: storage refused" in line["message"]


def test_an_applied_message_is_logged_with_its_ids_only_at_debug_level(lines: io.StringIO) -> None:
    envelope = Envelope.from_json(order_created_json())
    settle_after(applied, envelope.to_json())
    quiet = parsed(lines)
    logging.getLogger().setLevel(logging.DEBUG)

    settle_after(applied, envelope.to_json())

    [line] = [entry for entry in parsed(lines) if entry["message"] == "message applied"]
    assert quiet == []
    assert (line["event_id"], line["order_id"]) == (str(envelope.id), envelope.payload["orderId"])


def test_a_malformed_message_is_dead_lettered_with_a_line_and_no_ids_it_cannot_know(
    lines: io.StringIO,
) -> None:
    settle_after(applied, "{not json")

    [line] = parsed(lines)
    assert line["message"].startswith("dead-lettered message after attempt 1 (contract)")
    assert set(line) == {"time", "level", "logger", "message"}


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
