"""The outbox backlog gauges read the unpublished rows and the age of the oldest one from PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, Table, func, update

from app.bus import refresh_outbox_gauges
from app.contracts import Envelope

pytestmark = pytest.mark.integration


def gauge(name: str, schema: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"schema": schema})


def test_an_empty_outbox_reports_no_backlog_and_age_zero(migrated_engine: Engine, outbox: Table) -> None:
    refresh_outbox_gauges(migrated_engine, str(outbox.schema))

    assert gauge("payflow_outbox_unpublished_events", str(outbox.schema)) == 0
    assert gauge("payflow_outbox_oldest_unpublished_age_seconds", str(outbox.schema)) == 0


def test_unpublished_rows_are_counted_and_the_oldest_ones_age_reported(
    migrated_engine: Engine, outbox: Table, append: Callable[[int], list[Envelope]]
) -> None:
    first, *_ = append(3)
    with migrated_engine.begin() as conn:
        conn.execute(update(outbox).values(created_at=func.now() - timedelta(seconds=90)))
        conn.execute(update(outbox).where(outbox.c.event_id == first.id).values(published_at=func.now()))

    refresh_outbox_gauges(migrated_engine, str(outbox.schema))

    assert gauge("payflow_outbox_unpublished_events", str(outbox.schema)) == 2
    age = gauge("payflow_outbox_oldest_unpublished_age_seconds", str(outbox.schema))
    assert age is not None
    assert 90 <= age < 150
