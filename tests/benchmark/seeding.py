"""Seeds many settled orders and their payments straight into PostgreSQL, so reads meet a large table."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text

# Outcome by g % 20: 70% paid/approved, 15% failed/declined, 5% failed/failed, 10% cancelled (half refunded).
_OUTCOME = """CASE WHEN g % 20 < 14 THEN 'PAID' WHEN g % 20 < 18 THEN 'FAILED' ELSE 'CANCELLED' END"""
_PAYMENT = """CASE WHEN g % 20 < 14 THEN 'APPROVED' WHEN g % 20 < 17 THEN 'DECLINED'
    WHEN g % 20 = 17 THEN 'FAILED' WHEN g % 20 = 18 THEN 'CANCELLED' ELSE 'REFUNDED' END"""
_REASON = """CASE WHEN g % 20 BETWEEN 14 AND 16 THEN 'card_declined'
    WHEN g % 20 = 17 THEN 'provider_error' WHEN g % 20 = 18 THEN 'order_cancelled' END"""
_SERIES = "generate_series(:first, :last) AS g"
_CREATED = "now() - make_interval(secs => g * 1.5)"

ORDERS_SQL = f"""
INSERT INTO orders.orders (id, user_id, total, status, created_at, updated_at)
SELECT md5(:tag || '-order-' || g)::uuid, md5(:tag || '-user-' || (g % 1000))::uuid,
       (g % 990 + 10)::numeric(12, 2), {_OUTCOME}, {_CREATED}, {_CREATED} + interval '2 seconds'
FROM {_SERIES}
ON CONFLICT DO NOTHING
"""

PAYMENTS_SQL = f"""
INSERT INTO payments.payments (id, order_id, amount, status, reason, correlation_id, created_at, updated_at)
SELECT md5(:tag || '-payment-' || g)::uuid, md5(:tag || '-order-' || g)::uuid,
       (g % 990 + 10)::numeric(12, 2), {_PAYMENT}, {_REASON}, :tag || '-' || g,
       {_CREATED} + interval '100 milliseconds', {_CREATED} + interval '1 second'
FROM {_SERIES}
ON CONFLICT DO NOTHING
"""

CHUNK = 50_000


def seed(database_url: str, rows: int, tag: str) -> None:
    """Insert `rows` settled orders and matching payments (ids derived from `tag`), then ANALYZE both."""
    engine = create_engine(database_url)
    try:
        for first in range(1, rows + 1, CHUNK):
            last = min(rows, first + CHUNK - 1)
            with engine.begin() as conn:
                params = {"tag": tag, "first": first, "last": last}
                conn.execute(text(ORDERS_SQL), params)
                conn.execute(text(PAYMENTS_SQL), params)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE orders.orders"))
            conn.execute(text("ANALYZE payments.payments"))
    finally:
        engine.dispose()


def seeded_order_id(tag: str) -> Callable[[int], str]:
    """The id the seed gave to row g (1-based), computed the way PostgreSQL's md5(...)::uuid does."""

    def order_id(g: int) -> str:
        return str(uuid.UUID(hashlib.md5(f"{tag}-order-{g}".encode()).hexdigest()))

    return order_id
