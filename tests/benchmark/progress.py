"""Counts the system reports through its API, and the wait until every accepted order is settled."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.benchmark.client import Client

_PAUSE = threading.Event()  # never set: an interruptible pause between polls


@dataclass(frozen=True)
class Counts:
    """Orders in all and still PENDING; payments in all and still PROCESSING; payments per status."""

    orders: int
    pending_orders: int
    payments: int
    processing_payments: int
    by_status: dict[str, int]


def payment_counts(client: Client) -> dict[str, int]:
    """Payments per status from GET /payments/stats."""
    reply = client.get("/payments/stats", retries=2)
    _expect(reply.status, "/payments/stats")
    return {row["status"]: int(row["count"]) for row in reply.body["byStatus"]}


def order_total(client: Client, status: str | None = None) -> int:
    """meta.total of a one-row page of orders, optionally in one status."""
    path = "/orders?page=1&limit=1" + (f"&status={status}" if status else "")
    reply = client.get(path, retries=2)
    _expect(reply.status, path)
    return int(reply.body["meta"]["total"])


def counts(client: Client) -> Counts:
    by_status = payment_counts(client)
    return Counts(
        orders=order_total(client),
        pending_orders=order_total(client, "PENDING"),
        payments=sum(by_status.values()),
        processing_payments=by_status.get("PROCESSING", 0),
        by_status=by_status,
    )


def wait_settled(
    client: Client, expected: Counts, *, timeout: float, interval: float = 0.1
) -> dict[str, Any]:
    """Poll until `expected.orders` orders and payments exist and none is PENDING or PROCESSING.

    Payments are checked first (one request), so an unsettled poll costs one request only."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        by_status = payment_counts(client)
        if sum(by_status.values()) >= expected.payments and by_status.get("PROCESSING", 0) == 0:
            total = order_total(client)
            if total >= expected.orders and order_total(client, "PENDING") == 0:
                return {"settled": True, "at": time.monotonic(), "payments_by_status": by_status}
        _PAUSE.wait(interval)
    return {"settled": False, "at": time.monotonic(), "payments_by_status": payment_counts(client)}


def _expect(status: int, path: str) -> None:
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
