"""Page 1 read while other clients read the deepest rows a gateway lets them reach: by page, by cursor."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from typing import Any

from tests.benchmark.client import Client
from tests.benchmark.load import read_for

PAGE_1 = "/orders?page=1&limit=10"


def deep_reads(
    base_url: str, page1_clients: int, deep_clients: int, seconds: float, limit: int
) -> dict[str, Any]:
    """Page 1 alone, then beside `deep_clients` reading the deepest page number the gateway allows, then
    beside as many reading the deepest tenth of the list by cursor (when the gateway has cursors)."""
    probe = Client(base_url)
    deepest = deepest_page(probe, limit)
    cursors = deep_cursors(probe, limit)
    probe.close()
    figures: dict[str, Any] = {"limit": limit, "deepest_page": deepest, "cursors": len(cursors)}
    figures["page1_alone"] = read_for(base_url, page1_clients, seconds, lambda: PAGE_1)
    by_page = f"/orders?page={deepest}&limit={limit}"
    figures["beside_deep_pages"] = beside(base_url, page1_clients, deep_clients, seconds, lambda: by_page)
    if cursors:
        by_cursor = lambda: f"/orders?limit={limit}&cursor={random.choice(cursors)}"  # noqa: E731
        figures["beside_deep_cursors"] = beside(base_url, page1_clients, deep_clients, seconds, by_cursor)
    return figures


def beside(
    base_url: str, page1_clients: int, deep_clients: int, seconds: float, deep: Callable[[], str]
) -> Any:
    """Page 1 and `deep()` read at the same time, each by its own clients; the figures of both."""
    found: dict[str, Any] = {}

    def read_deep() -> None:
        found["deep"] = read_for(base_url, deep_clients, seconds, deep)

    reader = threading.Thread(target=read_deep, daemon=True)
    reader.start()
    found["page1"] = read_for(base_url, page1_clients, seconds, lambda: PAGE_1)
    reader.join()
    return found


def deepest_page(probe: Client, limit: int) -> int:
    """The last page of the orders list, or the deepest page number below it the gateway answers."""
    total = int(probe.get(f"/orders?page=1&limit={limit}", retries=1).body["meta"]["total"])
    low, high = 1, max(1, math.ceil(total / limit))
    while low < high:  # the deepest page that answers 200: a gateway refuses every page past its cap
        middle = (low + high + 1) // 2
        if probe.get(f"/orders?page={middle}&limit={limit}", retries=1).status == 200:
            low = middle
        else:
            high = middle - 1
    return low


def deep_cursors(probe: Client, limit: int) -> list[str]:
    """The cursors of the deepest tenth of the list, found by walking it once; none without cursors."""
    walked: list[str] = []
    cursor = probe.get(f"/orders?limit={limit}", retries=1).body["meta"].get("nextCursor")
    while cursor:
        walked.append(cursor)
        cursor = probe.get(f"/orders?limit={limit}&cursor={cursor}", retries=1).body["meta"]["nextCursor"]
    return walked[len(walked) - max(1, len(walked) // 10) :] if walked else []
