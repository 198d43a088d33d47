"""`payflow dlq`, `republish` and `status` against real RabbitMQ and PostgreSQL, and their one-line errors."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.bootstrap import topology
from app.bus import BatchConsumer, Batching, RetryPolicy, connect
from app.bus.entities import DEAD_LETTERS
from app.bus.publisher import ConfirmingPublisher
from app.config import Settings
from app.contracts import ContractError, Envelope, Incoming, OrderCancelled
from app.gateway import SqlCommandStore
from tests.integration.cli.conftest import Payflow, Rows
from tests.integration.gateway.commands import creation

pytestmark = pytest.mark.integration


def reject(batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
    raise ContractError("cannot be applied")


def dead_letter(broker_url: str) -> Envelope:
    """An order.cancelled sent to orders.inbox and dead-lettered there by a consumer that rejects it."""
    envelope = OrderCancelled(order_id=uuid.uuid4()).to_envelope("cli-test")
    with connect(broker_url) as connection:
        publisher = ConfirmingPublisher(connection)
        publisher.publish(
            envelope.to_json(),
            exchange="",
            routing_key="orders.inbox",
            headers={},
            message_id=str(envelope.id),
            correlation_id=envelope.correlation_id,
        )
        publisher.confirm()
    settings = Settings.from_env({})
    rejecting = BatchConsumer(
        broker_url,
        topology(settings),
        {OrderCancelled: reject},
        Batching(size=10, wait_s=0.01),
        RetryPolicy("orders.inbox", max_attempts=1, retry_delays_ms=settings.retry_delays_ms),
    )
    rejecting.drain(idle_s=0.3)
    return envelope


def dead_letter_at(
    broker_url: str, stamp: str, envelope: Envelope | None = None, message_id: str | None = None
) -> Envelope:
    """An order.cancelled (or a copy of `envelope`) put straight into orders.inbox's dead letters, with
    `stamp` as the time it was dead-lettered (and `message_id`, else the envelope's id)."""
    envelope = envelope or OrderCancelled(order_id=uuid.uuid4()).to_envelope("cli-test")
    with connect(broker_url) as connection:
        publisher = ConfirmingPublisher(connection)
        publisher.publish(
            envelope.to_json(),
            exchange=DEAD_LETTERS.name,
            routing_key="orders.inbox",
            headers={"x-dead-lettered-at": stamp, "x-error": "ContractError: cannot be applied"},
            message_id=message_id or str(envelope.id),
            correlation_id=envelope.correlation_id,
        )
        publisher.confirm()
    return envelope


def test_dead_letters_are_listed_with_their_reason(payflow: Payflow, broker: str) -> None:
    envelope = dead_letter(broker)

    text = payflow("dlq", "list", "--queue", "orders.inbox")
    document = payflow("dlq", "list", "--json")

    assert text.code == 0
    assert str(envelope.id) in text.out
    assert "ContractError: cannot be applied" in text.out
    listed = {letter["message_id"]: letter for letter in document.json()["orders.inbox"]}
    assert listed[str(envelope.id)]["error"] == "ContractError: cannot be applied"
    assert Envelope.from_json(listed[str(envelope.id)]["body"]) == envelope
    assert document.json()["payments.inbox"] == []


def test_control_characters_a_dead_letter_carries_are_escaped_in_the_listing(
    payflow: Payflow, broker: str
) -> None:
    body = dataclasses.replace(OrderCancelled(order_id=uuid.uuid4()).to_envelope("c"), type="x\n\x1b[31mFAKE")
    dead_letter_at(
        broker, "2026-01-01T00:00:00+00:00", body, message_id="id\nforged-row  ?  1  -  looks real"
    )

    listing = payflow("dlq", "list", "--queue", "orders.inbox")

    assert listing.code == 0
    assert "\x1b" not in listing.out
    assert listing.out.splitlines()[0] == "orders.inbox: 1 dead letter(s)"
    [row] = listing.out.splitlines()[2:]
    assert row.startswith("id\\nforged-row  ?  1  -  looks real  x\\n\\x1b[31mFAKE")


def test_a_chosen_dead_letter_is_replayed_to_its_queue(payflow: Payflow, broker: str) -> None:
    envelope = dead_letter(broker)

    outcome = payflow("dlq", "replay", "--queue", "orders.inbox", "--id", str(envelope.id))
    remaining = payflow("dlq", "list", "--queue", "orders.inbox", "--json").json()["orders.inbox"]
    status = payflow("status", "--json").json()

    assert outcome.code == 0
    assert "replayed 1 dead letter(s) of orders.inbox" in outcome.out
    assert remaining == []
    assert (status["queues"]["orders.inbox"], status["queues"]["orders.inbox.dead-letters"]) == (1, 0)


def test_replaying_every_dead_letter_reports_the_count(payflow: Payflow, broker: str) -> None:
    dead_letter(broker)
    dead_letter(broker)

    outcome = payflow("dlq", "replay", "--queue", "orders.inbox", "--all")
    remaining = payflow("dlq", "list", "--queue", "orders.inbox", "--json").json()["orders.inbox"]

    assert outcome.code == 0
    assert "replayed 2 dead letter(s) of orders.inbox" in outcome.out
    assert remaining == []


def test_replay_refuses_without_ids_or_all(payflow: Payflow) -> None:
    outcome = payflow("dlq", "replay", "--queue", "orders.inbox")

    assert outcome.code == 1
    assert outcome.err.count("\n") == 1
    assert outcome.err.startswith("payflow dlq: say which messages")


@pytest.mark.usefixtures("broker")
def test_replaying_an_unknown_id_fails_with_one_line(payflow: Payflow) -> None:
    outcome = payflow("dlq", "replay", "--queue", "payments.inbox", "--id", "no-such-message")

    assert outcome.code == 1
    assert "replayed 0" in outcome.out
    assert outcome.err.count("\n") == 1


def test_a_limited_listing_shows_the_oldest_dead_letters_and_how_many_there_are(
    payflow: Payflow, broker: str
) -> None:
    newest, oldest, middle = (
        dead_letter_at(broker, f"2026-11-26T{hour}:00:00+00:00") for hour in ("11", "09", "10")
    )

    text = payflow("dlq", "list", "--queue", "orders.inbox", "--limit", "2")
    document = payflow("dlq", "list", "--queue", "orders.inbox", "--limit", "2", "--json").json()

    assert text.code == 0
    assert "orders.inbox: the oldest 2 of 3 dead letter(s)" in text.out
    assert -1 < text.out.find(str(oldest.id)) < text.out.find(str(middle.id))
    assert str(newest.id) not in text.out
    assert [letter["message_id"] for letter in document["orders.inbox"]] == [str(oldest.id), str(middle.id)]


def test_replaying_an_id_dead_lettered_twice_still_reports_a_chosen_id_that_is_missing(
    payflow: Payflow, broker: str
) -> None:
    twice = dead_letter_at(broker, "2026-11-26T09:00:00+00:00")
    dead_letter_at(broker, "2026-11-26T10:00:00+00:00", twice)

    outcome = payflow("dlq", "replay", "--queue", "orders.inbox", "--id", str(twice.id), "no-such-message")

    assert outcome.code == 1
    assert "replayed 1 dead letter(s) of orders.inbox" in outcome.out
    assert outcome.err.startswith("payflow dlq: 1 of the chosen ids are not among")


@pytest.mark.usefixtures("broker")
def test_republish_queues_the_chosen_events_again_and_status_counts_them(
    payflow: Payflow, rows: Rows
) -> None:
    chosen = [rows.published_event(), rows.published_event()]
    rows.published_event()

    outcome = payflow("republish", "--schema", "gateway", "--event-id", *map(str, chosen))
    status = payflow("status", "--json").json()

    assert outcome.code == 0
    assert "queued 2 event(s) of the gateway outbox" in outcome.out
    assert status["outbox"]["gateway"]["unpublished"] == 2
    assert status["outbox"]["gateway"]["oldest_age_s"] >= 0
    assert status["outbox"]["payments"] == {"unpublished": 0, "oldest_age_s": None}
    assert status["releases_owed"] == {"count": 0, "oldest_age_s": None}


def test_republish_of_an_id_the_outbox_does_not_hold_queues_the_others_and_exits_one_naming_it(
    payflow: Payflow, rows: Rows
) -> None:
    known, unknown = rows.published_event(), uuid.uuid4()

    outcome = payflow("republish", "--schema", "gateway", "--event-id", str(known), str(unknown))

    assert outcome.code == 1
    assert "queued 1 event(s) of the gateway outbox" in outcome.out
    assert outcome.err.strip() == (
        f"payflow republish: 1 id(s) are not in the gateway outbox (never, or purged): {unknown}"
    )


def test_republish_with_until_alone_says_it_needs_since(payflow: Payflow) -> None:
    outcome = payflow("republish", "--schema", "payments", "--until", "2026-01-01T00:00:00Z")

    assert (outcome.code, outcome.err.strip()) == (1, "payflow republish: --until needs --since")


def test_republish_of_an_event_not_published_yet_says_the_relays_send_it_anyway(
    payflow: Payflow, rows: Rows, autocommit_engine: Engine
) -> None:
    command, event = creation()
    SqlCommandStore(autocommit_engine).record(command, event)

    outcome = payflow("republish", "--schema", "gateway", "--event-id", str(event.id))

    assert outcome.code == 0
    assert "1 id(s) not queued: not published yet (the relays send them anyway)" in outcome.out


def test_republish_by_time_range_says_how_many_it_queued_and_nothing_else(
    payflow: Payflow, rows: Rows
) -> None:
    rows.published_event()

    outcome = payflow("republish", "--schema", "gateway", "--since", "2000-01-01T00:00:00Z")

    assert outcome.code == 0
    assert outcome.out.splitlines() == [
        "queued 1 event(s) of the gateway outbox for re-publishing (running relays send them)"
    ]


def test_republish_refuses_without_ids_or_a_time_range(payflow: Payflow) -> None:
    outcome = payflow("republish", "--schema", "payments")

    assert outcome.code == 1
    assert outcome.err.startswith("payflow republish: say which events")


def test_republish_refuses_a_time_range_that_ends_before_it_starts(payflow: Payflow, rows: Rows) -> None:
    rows.published_event()

    outcome = payflow(
        "republish",
        "--schema",
        "gateway",
        "--since",
        "2026-11-26T10:00:00Z",
        "--until",
        "2026-11-26T09:00:00Z",
    )

    assert outcome.code == 1
    assert outcome.err.count("\n") == 1
    assert outcome.err.startswith("payflow republish: --until must be later than --since")


@pytest.mark.usefixtures("broker")
def test_status_shows_every_queue_and_outbox(payflow: Payflow) -> None:
    outcome = payflow("status")

    assert outcome.code == 0
    for name in ("orders.inbox", "orders.inbox.dead-letters", "payments.inbox", "gateway", "payments"):
        assert name in outcome.out


@pytest.mark.usefixtures("broker")
def test_status_counts_the_releases_the_sweeper_still_owes(payflow: Payflow, rows: Rows) -> None:
    with rows.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO payments.releases_owed (payment_id, order_id, owed_since)"
                " VALUES (gen_random_uuid(), gen_random_uuid(), now() - interval '90 seconds')"
            )
        )

    status = payflow("status", "--json").json()
    table = payflow("status").out

    assert status["releases_owed"]["count"] == 1
    assert status["releases_owed"]["oldest_age_s"] >= 90
    assert "RELEASES OWED" in table


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
