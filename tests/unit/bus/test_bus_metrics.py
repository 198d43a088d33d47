"""The worker's Prometheus metrics: one count per message by queue and event type, timings per batch."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, create_engine

from app.bus.metrics import record_published
from app.bus.outbox import refresh_outbox_gauges
from app.contracts import OrderCreated
from app.payments import OUTBOX as PAYMENTS_OUTBOX
from tests.unit.bus.memory_broker import FakeBatchHandler, MemoryBroker, order_created


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_applied_message_counts_as_processed_under_its_event_type(broker: MemoryBroker) -> None:
    broker.publish_all([order_created() for _ in range(3)])

    broker.consumer({OrderCreated: FakeBatchHandler()}).drain(idle_s=0.05)

    labels = {"queue": broker.queue, "event_type": "order.created"}
    assert sample("payflow_messages_processed_total", **labels) == 3


def test_each_batch_is_timed_once_and_its_size_recorded(broker: MemoryBroker) -> None:
    broker.publish_all([order_created() for _ in range(5)])

    broker.consumer({OrderCreated: FakeBatchHandler()}, size=3).drain(idle_s=0.05)

    assert sample("payflow_batch_duration_seconds_count", queue=broker.queue) == 2
    assert sample("payflow_batch_size_count", queue=broker.queue) == 2
    assert sample("payflow_batch_size_sum", queue=broker.queue) == 5
    assert sample("payflow_batch_size_bucket", queue=broker.queue, le="2.0") == 1


def test_failing_attempts_count_as_retried_then_dead_lettered_with_the_failure_kind(
    broker: MemoryBroker,
) -> None:
    consumer = broker.consumer({OrderCreated: FakeBatchHandler(error=RuntimeError("bug"))})
    broker.publish_all([order_created()])

    broker.run_attempts(consumer, rounds=3)

    labels = {"queue": broker.queue, "event_type": "order.created", "failure": "bug"}
    assert sample("payflow_messages_retried_total", **labels) == 2
    assert sample("payflow_messages_dead_lettered_total", **labels) == 1
    assert sample("payflow_messages_processed_total", queue=broker.queue, event_type="order.created") == 0


def test_a_waiting_event_counts_as_retried_as_not_yet_applicable(broker: MemoryBroker) -> None:
    envelope = order_created()
    broker.publish_all([envelope])

    broker.consumer({OrderCreated: FakeBatchHandler(waiting=[envelope.id])}).drain(idle_s=0.05)

    labels = {"queue": broker.queue, "event_type": "order.created", "failure": "not_yet"}
    assert sample("payflow_messages_retried_total", **labels) == 1


def test_a_malformed_message_is_dead_lettered_under_the_unknown_event_type(broker: MemoryBroker) -> None:
    broker.publish(b"{not json")

    broker.consumer({OrderCreated: FakeBatchHandler()}).drain(idle_s=0.05)

    labels = {"queue": broker.queue, "event_type": "unknown", "failure": "contract"}
    assert sample("payflow_messages_dead_lettered_total", **labels) == 1


def test_a_relayed_payment_result_counts_as_a_payment_with_that_outcome() -> None:
    before = sample("payflow_payments_total", outcome="declined")
    published_before = sample("payflow_events_published_total", schema="gateway", event_type="order.created")

    record_published("payments", "payment.declined")
    record_published("gateway", "order.created")

    assert sample("payflow_payments_total", outcome="declined") == before + 1
    assert (
        sample("payflow_events_published_total", schema="gateway", event_type="order.created")
        == published_before + 1
    )


def unreachable_database() -> Engine:
    def refuse() -> Any:
        raise psycopg2.OperationalError("connection refused")

    return create_engine("postgresql+psycopg2://", creator=refuse)


def test_an_unreachable_database_leaves_the_outbox_gauges_with_a_warning_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresh_outbox_gauges(unreachable_database(), PAYMENTS_OUTBOX)

    assert "outbox gauges of payments not refreshed" in caplog.text
