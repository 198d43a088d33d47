"""Settling a batch: the copies of failed messages are confirmed by the broker before any message is acked."""

from __future__ import annotations

import pytest

from app.bus.batches import Outcome
from app.bus.publisher import PublishNotConfirmed
from app.bus.settlement import RetryPolicy, Settler
from app.contracts import ContractError
from tests.unit.bus.fake_delivery import FakeMessage, FakePublisher

POLICY = RetryPolicy("settle-test.inbox", max_attempts=3, retry_delays_ms=(10, 20))


def settle(publisher: FakePublisher, messages: list[FakeMessage], outcomes: list[Outcome]) -> None:
    Settler(publisher, POLICY).settle(messages, outcomes)  # type: ignore[arg-type]


def test_failed_messages_are_copied_and_confirmed_before_the_batch_is_acked() -> None:
    journal: list[str] = []
    messages = [FakeMessage(journal, name) for name in ("good", "bug", "bad")]
    outcomes = [Outcome(), Outcome(RuntimeError("boom")), Outcome(ContractError("bad payload"))]

    settle(FakePublisher(journal), messages, outcomes)

    assert journal == [
        "copy to settle-test.inbox.retry.10",
        "copy to settle-test.inbox",  # through the dead-letter exchange, keyed by the queue
        "confirm",
        "ack good",
        "ack bug",
        "ack bad",
    ]


def test_a_batch_that_all_succeeded_is_acked_without_waiting_for_a_confirm() -> None:
    journal: list[str] = []
    messages = [FakeMessage(journal, name) for name in ("a", "b")]

    settle(FakePublisher(journal), messages, [Outcome(), Outcome()])

    assert journal == ["ack a", "ack b"]


def test_copies_the_broker_does_not_confirm_leave_the_whole_batch_unacked() -> None:
    journal: list[str] = []
    messages = [FakeMessage(journal, name) for name in ("good", "bug")]

    with pytest.raises(PublishNotConfirmed):
        settle(FakePublisher(journal, refuse=True), messages, [Outcome(), Outcome(RuntimeError("boom"))])

    assert [line for line in journal if line.startswith("ack")] == []


def test_a_dead_lettered_copy_carries_the_reason_the_attempts_and_where_it_came_from() -> None:
    journal: list[str] = []
    publisher = FakePublisher(journal)
    message = FakeMessage(journal, "late", headers={"x-attempts": 2, "x-death": [{"count": 2}]})

    settle(publisher, [message], [Outcome(RuntimeError("still broken"))])

    [copy] = publisher.copies
    assert copy["exchange"] == "payflow.dead-letters"
    assert copy["body"] == message.body
    assert (copy["message_id"], copy["correlation_id"]) == ("late", "corr-late")
    headers = copy["headers"]
    assert headers["x-attempts"] == 3
    assert headers["x-error"] == "RuntimeError: still broken"
    assert headers["x-original-exchange"] == "gateway.events"
    assert headers["x-original-routing-key"] == "order.created"
    assert headers["x-original-queue"] == "settle-test.inbox"
    assert "x-death" not in headers


def test_a_retry_copy_leaves_the_quorum_queues_delivery_count_behind() -> None:
    journal: list[str] = []
    publisher = FakePublisher(journal)
    message = FakeMessage(journal, "redelivered", headers={"x-attempts": 1, "x-delivery-count": 3})

    settle(publisher, [message], [Outcome(RuntimeError("boom"))])

    [copy] = publisher.copies
    assert copy["routing_key"] == "settle-test.inbox.retry.20"
    assert "x-delivery-count" not in copy["headers"]


def test_a_garbled_attempt_count_counts_as_a_first_delivery() -> None:
    journal: list[str] = []
    publisher = FakePublisher(journal)
    message = FakeMessage(journal, "odd", headers={"x-attempts": "many"})

    settle(publisher, [message], [Outcome(RuntimeError("boom"))])

    [copy] = publisher.copies
    assert copy["routing_key"] == "settle-test.inbox.retry.10"
    assert copy["headers"]["x-attempts"] == 1


def test_a_batch_settled_at_once_is_acked_with_one_ack_of_its_last_delivery() -> None:
    journal: list[str] = []
    messages = [FakeMessage(journal, name) for name in ("a", "bug", "c")]
    outcomes = [Outcome(), Outcome(RuntimeError("boom")), Outcome()]

    Settler(FakePublisher(journal), POLICY).settle(messages, outcomes, at_once=True)  # type: ignore[arg-type]

    assert journal == ["copy to settle-test.inbox.retry.10", "confirm", "ack up to c"]
