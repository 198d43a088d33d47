"""Where each posted order spent its time on the way to settled, from the timestamps the system stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import create_engine, text

from tests.benchmark.figures import percentile

# Per order, between the times the system wrote down: `to_relay` from the gateway accepting the order to
# its relay claiming the row (commands.published_at is set by that claim, before the publish and the
# broker's confirm); `to_open` from there to the payment's opening row (publish, confirm, delivery, batch,
# opening transaction); `provider` from that to the row recording the outcome (the provider's answer, or
# the sweeper giving up; the wait and the settling transaction); `to_order` from there to the order's
# PAID or FAILED row (payments' relay, orders' batch). History rows are stamped with clock_timestamp() as
# they are written, before their commit. An order cancelled before its payment had an outcome is left out.
STAGES_SQL = """
WITH c AS (
    SELECT order_id, created_at AS accepted, published_at AS claimed FROM gateway.commands
    WHERE kind = 'create_order' AND order_id = ANY(CAST(:ids AS uuid[]))),
p AS (
    SELECT p.order_id, min(h.at) FILTER (WHERE h.from_status IS NULL) AS opened,
           min(h.at) FILTER (WHERE h.to_status IN ('APPROVED', 'DECLINED', 'FAILED')) AS answered
    FROM payments.payments p JOIN payments.payment_history h ON h.payment_id = p.id
    WHERE p.order_id = ANY(CAST(:ids AS uuid[])) GROUP BY p.order_id),
o AS (
    SELECT order_id, min(at) FILTER (WHERE to_status IN ('PAID', 'FAILED')) AS settled
    FROM orders.order_history WHERE order_id = ANY(CAST(:ids AS uuid[])) GROUP BY order_id)
SELECT extract(epoch FROM claimed - accepted) AS to_relay, extract(epoch FROM opened - claimed) AS to_open,
       extract(epoch FROM answered - opened) AS provider, extract(epoch FROM settled - answered) AS to_order
FROM c JOIN p USING (order_id) JOIN o USING (order_id)
WHERE claimed IS NOT NULL AND opened IS NOT NULL AND answered IS NOT NULL AND settled IS NOT NULL
"""
STAGES = ("to_relay", "to_open", "provider", "to_order")


def stage_times(database_url: str, order_ids: list[str]) -> dict[str, Any]:
    """p50/p99/max ms of each stage over the orders traced; an `error` instead when the database could
    not be read (a running system's URL without rights on every schema, say)."""
    try:
        engine = create_engine(database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(STAGES_SQL), {"ids": order_ids}).all()
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the figures stand without this part
        first_line = (str(exc).splitlines() or [""])[0]
        return {"error": f"{type(exc).__name__}: {first_line[:200]}"}
    return stage_summary([tuple(float(value) for value in row) for row in rows])


def stage_summary(rows: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Rows of stage seconds (in STAGES order) as p50/p99/max milliseconds per stage."""
    figures: dict[str, Any] = {"orders_traced": len(rows)}
    for index, stage in enumerate(STAGES):
        ordered = sorted(row[index] for row in rows)
        figures[stage] = {
            "p50_ms": round(percentile(ordered, 0.50), 1),
            "p99_ms": round(percentile(ordered, 0.99), 1),
            "max_ms": round(ordered[-1] * 1000.0, 1) if ordered else 0.0,
        }
    return figures
