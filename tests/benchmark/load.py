"""Concurrent clients on threads: a fixed number of order POSTs, or reads for a fixed duration."""

from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.benchmark.client import Client, Reply
from tests.benchmark.figures import Tally

USERS = [str(uuid.UUID(int=random.Random(n).getrandbits(128), version=4)) for n in range(64)]


def post_orders(base_url: str, orders: int, clients: int) -> tuple[dict[str, Any], list[str], float]:
    """POST `orders` orders from `clients` threads; the summary, accepted ids and first-POST time."""
    remaining = iter(range(orders))
    lock = threading.Lock()
    accepted: list[str] = []

    def next_body() -> dict[str, Any] | None:
        with lock:
            if next(remaining, None) is None:
                return None
        return {"userId": random.choice(USERS), "total": random.randint(5, 999)}

    def work(client: Client, tally: Tally) -> None:
        while (body := next_body()) is not None:
            reply = _attempt(lambda: client.call("POST", "/orders", body), tally)
            if reply is not None and reply.status == 202:
                tally.ok(reply.seconds)
                with lock:
                    accepted.append(reply.body["orderId"])
            elif reply is not None:
                tally.failed(f"http_{reply.status}")

    started = time.monotonic()
    tally = _run_threads(base_url, clients, work)
    return tally.summary(time.monotonic() - started), accepted, started


def read_for(base_url: str, clients: int, seconds: float, path: Callable[[], str]) -> dict[str, Any]:
    """GET `path()` from `clients` threads until `seconds` have passed; the summary."""
    deadline = time.monotonic() + seconds

    def work(client: Client, tally: Tally) -> None:
        while time.monotonic() < deadline:
            reply = _attempt(lambda: client.get(path()), tally)
            if reply is not None and reply.status == 200:
                tally.ok(reply.seconds)
            elif reply is not None:
                tally.failed(f"http_{reply.status}")

    started = time.monotonic()
    tally = _run_threads(base_url, clients, work)
    return tally.summary(time.monotonic() - started)


def _attempt(send: Callable[[], Reply], tally: Tally) -> Reply | None:
    try:
        return send()
    except (OSError, http.client.HTTPException) as exc:
        tally.failed(type(exc).__name__)
        return None


def _run_threads(base_url: str, clients: int, work: Callable[[Client, Tally], None]) -> Tally:
    tallies = [Tally() for _ in range(clients)]
    gate = threading.Barrier(clients)

    def run(tally: Tally) -> None:
        client = Client(base_url)
        try:
            gate.wait()
            work(client, tally)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total
