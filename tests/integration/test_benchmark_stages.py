"""The benchmark's stage timings: read from the schemas the migrations made, or an error they report."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from tests.benchmark.stages import stage_times

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COMMAND = (
    "INSERT INTO gateway.commands (id, kind, order_id, response_status, response_body, created_at,"
    " published_at) VALUES (:id, 'create_order', :order, 202, '{}', :t0, :t1)"
)
PAYMENT = (
    "INSERT INTO payments.payments (id, order_id, amount, status, correlation_id)"
    " VALUES (:id, :order, 10.00, :outcome, 'c')"
)
PAYMENT_HISTORY = (
    "INSERT INTO payments.payment_history (payment_id, from_status, to_status, event_type, at)"
    " VALUES (:id, NULL, 'PROCESSING', 'order.created', :t2), (:id, 'PROCESSING', :outcome, 'e', :t3)"
)
ORDER_HISTORY = (
    "INSERT INTO orders.order_history (order_id, from_status, to_status, event_id, event_type, at)"
    " VALUES (:order, NULL, 'PENDING', :e1, 'order.created', :t1),"
    " (:order, 'PENDING', :outcome, :e2, 'e', :t5)"
)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _store(engine: Engine, order_id: uuid.UUID, payment_outcome: str, order_outcome: str) -> None:
    """Accepted at 0 ms, claimed by the relay at 40, its payment opened at 100 and given its outcome at
    1,600, the order given its outcome at 1,700."""
    payment_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(text(COMMAND), {"id": uuid.uuid4(), "order": order_id, "t0": _at(0), "t1": _at(40)})
        conn.execute(text(PAYMENT), {"id": payment_id, "order": order_id, "outcome": payment_outcome})
        times = {"t2": _at(100), "t3": _at(1600)}
        conn.execute(text(PAYMENT_HISTORY), {"id": payment_id, "outcome": payment_outcome, **times})
        ids = {"e1": uuid.uuid4(), "e2": uuid.uuid4(), "t1": _at(20), "t5": _at(1700)}
        conn.execute(text(ORDER_HISTORY), {"order": order_id, "outcome": order_outcome, **ids})


def test_stage_times_split_a_paid_order_into_its_stages_and_leave_out_one_cancelled_on_the_way(
    database_url: str, engine: Engine
) -> None:
    paid, cancelled = uuid.uuid4(), uuid.uuid4()
    _store(engine, paid, "APPROVED", "PAID")
    _store(engine, cancelled, "CANCELLED", "CANCELLED")

    figures = stage_times(database_url, [str(paid), str(cancelled), str(uuid.uuid4())])

    assert figures["orders_traced"] == 1
    medians = {stage: figures[stage]["p50_ms"] for stage in ("to_relay", "to_open", "provider", "to_order")}
    assert medians == {"to_relay": 40.0, "to_open": 60.0, "provider": 1500.0, "to_order": 100.0}


def test_stage_times_report_a_database_they_cannot_read_instead_of_failing(database_url: str) -> None:
    unreadable = database_url.rsplit("/", 1)[0] + "/no_such_database"

    figures = stage_times(unreadable, [str(uuid.uuid4())])

    assert figures.keys() == {"error"}
    assert "no_such_database" in figures["error"]
