"""The outbox backlog of either module, read from PostgreSQL: the count of unpublished rows, the age of the
oldest one, and the gauges refreshed from them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, update

from app.bus import outbox_backlog, refresh_outbox_gauges
from tests.integration.bus.conftest import Outbox

pytestmark = pytest.mark.integration


def gauge(name: str, schema: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"schema": schema})


def test_an_empty_outbox_reports_no_backlog_and_age_zero(outbox: Outbox) -> None:
    schema = str(outbox.table.schema)

    refresh_outbox_gauges(outbox.engine, outbox.table)

    assert outbox_backlog(outbox.engine, outbox.table).oldest_age_s is None
    assert gauge("payflow_outbox_unpublished_events", schema) == 0
    assert gauge("payflow_outbox_oldest_unpublished_age_seconds", schema) == 0


def test_unpublished_rows_are_counted_and_the_oldest_ones_age_reported(outbox: Outbox) -> None:
    first, *_ = outbox.append(3)
    table, schema = outbox.table, str(outbox.table.schema)
    with outbox.engine.begin() as conn:
        conn.execute(update(table).values(created_at=func.now() - timedelta(seconds=90)))
        conn.execute(update(table).where(table.c.event_id == first.id).values(published_at=func.now()))

    refresh_outbox_gauges(outbox.engine, table)

    backlog = outbox_backlog(outbox.engine, table)
    assert (backlog.schema, backlog.unpublished) == (schema, 2)
    assert backlog.oldest_age_s is not None
    assert 90 <= backlog.oldest_age_s < 150
    assert gauge("payflow_outbox_unpublished_events", schema) == 2
    assert gauge("payflow_outbox_oldest_unpublished_age_seconds", schema) == pytest.approx(
        backlog.oldest_age_s, abs=5
    )
