"""The worker's Prometheus counters follow what happened to each message, labelled by queue and event type."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, create_engine

from app.bus.metrics import record_published, refresh_outbox_gauges
from app.contracts import ContractError
from tests.unit.bus.test_queue_worker import (
    FakeHandler,
    MemoryBroker,
    order_created_json,
    run_attempts,
    worker_for,
)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_handled_message_counts_as_processed_and_is_timed(broker: MemoryBroker) -> None:
    worker = worker_for(broker, {"order.created": FakeHandler()})
    broker.publish(order_created_json())

    worker.drain(timeout=0.05)

    labels = {"queue": broker.queue, "event_type": "order.created"}
    assert sample("payflow_messages_processed_total", **labels) == 1
    assert sample("payflow_handler_duration_seconds_count", **labels) == 1


def test_failing_attempts_count_as_retried_then_dead_lettered_with_the_failure_kind(
    broker: MemoryBroker,
) -> None:
    worker = worker_for(broker, {"order.created": FakeHandler(RuntimeError("bug"))})
    broker.publish(order_created_json())

    run_attempts(broker, worker, rounds=3)

    labels = {"queue": broker.queue, "event_type": "order.created", "failure": "bug"}
    assert sample("payflow_messages_retried_total", **labels) == 2
    assert sample("payflow_messages_dead_lettered_total", **labels) == 1


def test_a_malformed_message_is_dead_lettered_under_the_unknown_event_type(broker: MemoryBroker) -> None:
    worker = worker_for(broker, {"order.created": FakeHandler(ContractError("never"))})
    broker.publish(b"{not json")

    worker.drain(timeout=0.05)

    labels = {"queue": broker.queue, "event_type": "unknown", "failure": "contract"}
    assert sample("payflow_messages_dead_lettered_total", **labels) == 1


def test_a_relayed_payment_result_counts_as_a_payment_with_that_outcome() -> None:
    before = sample("payflow_payments_total", outcome="declined")

    record_published("payments", "payment.declined")
    record_published("gateway", "order.created")

    assert sample("payflow_payments_total", outcome="declined") == before + 1


def unreachable_database() -> Engine:
    def refuse() -> Any:
        raise psycopg2.OperationalError("connection refused")

    return create_engine("postgresql+psycopg2://", creator=refuse)


def test_an_unreachable_database_leaves_the_outbox_gauges_with_a_warning_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresh_outbox_gauges(unreachable_database(), "payments")

    assert "outbox gauges of payments not refreshed" in caplog.text
