"""`payflow dlq`, `republish` and `status` against real RabbitMQ and PostgreSQL, and their one-line errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from app.bus import KombuPublisher, QueueWorker, connect
from app.contracts import ContractError, Envelope, OrderCancelled
from tests.integration.cli.conftest import Outcome, Rows

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("broker")]
Payflow = Callable[..., Outcome]


def reject(envelope: Envelope) -> None:
    raise ContractError("cannot be applied")


def dead_letter(broker_url: str) -> Envelope:
    """An order.cancelled sent to orders.inbox and dead-lettered there by a worker that rejects it."""
    envelope = OrderCancelled(uuid.uuid4()).to_envelope("cli-test")
    with connect(broker_url) as connection:
        publisher = KombuPublisher(connection.default_channel)
        publisher.publish(
            envelope.to_json(), exchange="", routing_key="orders.inbox", message_id=str(envelope.id)
        )
    worker = QueueWorker(
        broker_url,
        "orders.inbox",
        {"order.cancelled": reject},
        concurrency=1,
        max_attempts=1,
        retry_delays_ms=(250,),
        declare=False,
    )
    worker.drain(timeout=0.3)
    return envelope


def test_dead_letters_are_listed_with_their_reason(payflow: Payflow, cli_broker_url: str) -> None:
    envelope = dead_letter(cli_broker_url)

    text = payflow("dlq", "list", "--queue", "orders.inbox")
    document = payflow("dlq", "list", "--json")

    assert text.code == 0
    assert str(envelope.id) in text.out
    assert "ContractError: cannot be applied" in text.out
    listed = {letter["message_id"]: letter for letter in document.json()["orders.inbox"]}
    assert listed[str(envelope.id)]["error"] == "ContractError: cannot be applied"
    assert Envelope.from_json(listed[str(envelope.id)]["body"]) == envelope
    assert document.json()["payments.inbox"] == []


def test_a_chosen_dead_letter_is_replayed_to_its_queue(payflow: Payflow, cli_broker_url: str) -> None:
    envelope = dead_letter(cli_broker_url)

    outcome = payflow("dlq", "replay", "--queue", "orders.inbox", "--id", str(envelope.id))
    remaining = payflow("dlq", "list", "--queue", "orders.inbox", "--json").json()["orders.inbox"]
    status = payflow("status", "--json").json()

    assert outcome.code == 0
    assert "replayed 1 dead letter(s) of orders.inbox" in outcome.out
    assert str(envelope.id) not in [letter["message_id"] for letter in remaining]
    assert status["queues"]["orders.inbox"] >= 1


def test_replaying_every_dead_letter_reports_the_count(payflow: Payflow, cli_broker_url: str) -> None:
    dead_letter(cli_broker_url)
    dead_letter(cli_broker_url)

    outcome = payflow("dlq", "replay", "--queue", "orders.inbox", "--all")
    remaining = payflow("dlq", "list", "--queue", "orders.inbox", "--json").json()["orders.inbox"]

    assert outcome.code == 0
    assert "replayed" in outcome.out
    assert remaining == []


def test_replay_refuses_without_ids_or_all(payflow: Payflow) -> None:
    outcome = payflow("dlq", "replay", "--queue", "orders.inbox")

    assert outcome.code == 1
    assert outcome.err.count("\n") == 1
    assert outcome.err.startswith("payflow dlq: say which messages")


def test_replaying_an_unknown_id_fails_with_one_line(payflow: Payflow) -> None:
    outcome = payflow("dlq", "replay", "--queue", "payments.inbox", "--id", "no-such-message")

    assert outcome.code == 1
    assert "replayed 0" in outcome.out
    assert outcome.err.count("\n") == 1


def test_republish_counts_the_events_queued_again(payflow: Payflow, rows: Rows) -> None:
    chosen = [rows.published_event(), rows.published_event()]

    outcome = payflow("republish", "--schema", "gateway", "--event-id", *map(str, chosen))
    status = payflow("status", "--json").json()

    assert outcome.code == 0
    assert "queued 2 event(s) of the gateway outbox" in outcome.out
    assert status["outbox"]["gateway"]["unpublished"] >= 2
    assert status["outbox"]["gateway"]["oldest_age_s"] >= 0


def test_republish_refuses_without_ids_or_a_time_range(payflow: Payflow) -> None:
    outcome = payflow("republish", "--schema", "payments")

    assert outcome.code == 1
    assert outcome.err.startswith("payflow republish: say which events")


def test_status_shows_every_queue_and_outbox(payflow: Payflow) -> None:
    outcome = payflow("status")

    assert outcome.code == 0
    for name in ("orders.inbox", "orders.inbox.dead-letters", "payments.inbox", "gateway", "payments"):
        assert name in outcome.out


def test_an_unreachable_database_is_one_line_without_the_password(
    payflow: Payflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYFLOW_DATABASE_URL", "postgresql+psycopg2://postgres:s3cret@127.0.0.1:1/none")

    outcome = payflow("reconcile")

    assert outcome.code == 1
    assert outcome.err.count("\n") == 1
    assert outcome.err.startswith(
        "payflow reconcile: database postgresql+psycopg2://postgres:***@127.0.0.1:1"
    )
    assert "s3cret" not in outcome.err


def test_an_unreachable_broker_is_one_line_without_the_password(
    payflow: Payflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYFLOW_BROKER_URL", "amqp://guest:s3cret@127.0.0.1:1//")

    outcome = payflow("dlq", "list")

    assert outcome.code == 1
    assert outcome.err.startswith("payflow dlq: broker amqp://guest:***@127.0.0.1:1//")
    assert "s3cret" not in outcome.err


@pytest.mark.parametrize(
    "command",
    [
        [],
        *([name] for name in ("setup", "migrate", "topology", "gateway", "worker", "run")),
        ["reconcile"],
        ["dlq"],
        ["dlq", "list"],
        ["dlq", "replay"],
        ["republish"],
        ["status"],
    ],
)
def test_every_operator_command_has_help(payflow: Payflow, command: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        payflow(*command, "--help")

    assert exit_info.value.code == 0
