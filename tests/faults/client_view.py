"""What clients and orders saw while brokers failed: each POST's time and answer, and settlement gaps."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from tests.support.http import Api, Response


@dataclass(frozen=True)
class Post:
    sent_at: float  # time.time(), comparable with the database's timestamps
    seconds: float
    status: int  # 0: no answer (the connection failed)


@dataclass(frozen=True)
class TimedApi(Api):
    """An Api that keeps every POST it made, for the figures of an outage."""

    posts: list[Post] = field(default_factory=list)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        sent_at, began = time.time(), time.monotonic()
        status = 0
        try:
            reply = super().post(path, body, **kwargs)
            status = reply.status
            return reply
        finally:
            self.posts.append(Post(sent_at, time.monotonic() - began, status))


def posts_between(api: TimedApi, start: float, end: float) -> dict[str, object]:
    """How the POSTs sent between `start` and `end` (time.time()) fared: count, refusals, latencies."""
    window = sorted((p for p in api.posts if start <= p.sent_at <= end), key=lambda p: p.seconds)
    if not window:
        return {"posts": 0}
    p99 = window[min(len(window) - 1, int(len(window) * 0.99))].seconds
    refused = sum(1 for p in window if p.status != 202)
    return {
        "posts": len(window),
        "not_202": refused,
        "p99_ms": round(p99 * 1000),
        "max_ms": round(window[-1].seconds * 1000),
    }


def longest_settlement_gap(engine: Engine, start: float) -> float:
    """The longest time, after `start` (time.time()), in which no order changed status: how long the
    pipeline stood still for the clients who watch their orders."""
    query = text(
        "SELECT DISTINCT extract(epoch FROM updated_at) AS at FROM orders.orders"
        " WHERE status <> 'PENDING' AND updated_at >= to_timestamp(:start) ORDER BY at"
    )
    with engine.connect() as conn:
        moments = [start, *(float(row.at) for row in conn.execute(query, {"start": start}))]
    return max((later - earlier for earlier, later in itertools.pairwise(moments)), default=0.0)


def settled_among(engine: Engine, order_ids: list[str]) -> int:
    """How many of these orders left PENDING."""
    query = text(
        "SELECT count(*) FROM orders.orders WHERE id = ANY(CAST(:ids AS uuid[])) AND status <> 'PENDING'"
    )
    with engine.connect() as conn:
        return int(conn.execute(query, {"ids": order_ids}).scalar_one())
