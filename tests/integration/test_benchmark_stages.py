"""The benchmark's stage timings: read from the schemas the migrations made, or an error they report."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from tests.benchmark.stages import stage_times

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _store_one_paid_order(engine: Engine, order_id: uuid.UUID) -> None:
    """Accepted at 0 ms, relayed at 40, its payment opened at 100 and approved at 1,600, PAID at 1,700."""
    payment_id, event_id = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO gateway.commands (id, kind, order_id, response_status, response_body,"
                " created_at, published_at) VALUES (:id, 'create_order', :order, 202, '{}', :t0, :t1)"
            ),
            {"id": uuid.uuid4(), "order": order_id, "t0": _at(0), "t1": _at(40)},
        )
        conn.execute(
            text(
                "INSERT INTO payments.payments (id, order_id, amount, status, correlation_id)"
                " VALUES (:id, :order, 10.00, 'APPROVED', 'c')"
            ),
            {"id": payment_id, "order": order_id},
        )
        history = (
            "INSERT INTO payments.payment_history (payment_id, from_status, to_status, event_type, at)"
            " VALUES (:id, NULL, 'PROCESSING', 'order.created', :t2),"
            " (:id, 'PROCESSING', 'APPROVED', 'payment.approved', :t3)"
        )
        conn.execute(text(history), {"id": payment_id, "t2": _at(100), "t3": _at(1600)})
        conn.execute(
            text(
                "INSERT INTO orders.order_history"
                " (order_id, from_status, to_status, event_id, event_type, at)"
                " VALUES (:order, NULL, 'PENDING', :e1, 'order.created', :t0),"
                " (:order, 'PENDING', 'PAID', :e2, 'payment.approved', :t5)"
            ),
            {"order": order_id, "e1": uuid.uuid4(), "e2": event_id, "t0": _at(20), "t5": _at(1700)},
        )


def test_stage_times_split_an_order_into_relay_opening_provider_and_settling(
    database_url: str, engine: Engine
) -> None:
    order_id = uuid.uuid4()
    _store_one_paid_order(engine, order_id)

    figures = stage_times(database_url, [str(order_id), str(uuid.uuid4())])

    assert figures["orders_traced"] == 1
    medians = {stage: figures[stage]["p50_ms"] for stage in ("relay", "to_open", "provider", "to_order")}
    assert medians == {"relay": 40.0, "to_open": 60.0, "provider": 1500.0, "to_order": 100.0}


def test_stage_times_report_a_database_they_cannot_read_instead_of_failing(database_url: str) -> None:
    unreadable = database_url.rsplit("/", 1)[0] + "/no_such_database"

    figures = stage_times(unreadable, [str(uuid.uuid4())])

    assert figures.keys() == {"error"}
    assert "no_such_database" in figures["error"]
