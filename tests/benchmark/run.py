"""The benchmark's phases in order: seed, POST orders, wait for settlement, reads, memory."""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.benchmark.at_rest import single_orders
from tests.benchmark.client import Client
from tests.benchmark.cpu import cores, cpu_ticks, cpu_used, ticks_per_second
from tests.benchmark.deep_pages import deep_reads
from tests.benchmark.load import post_orders, read_for
from tests.benchmark.memory import memory_mb
from tests.benchmark.profiling import finish_recording, start_recording
from tests.benchmark.progress import Counts, counts, wait_settled
from tests.benchmark.seeding import seed, seeded_order_id
from tests.benchmark.stages import stage_times


def say(message: str) -> None:
    sys.stderr.write(f"benchmark: {message}\n")
    sys.stderr.flush()


def run(
    options: argparse.Namespace, base_url: str, database_url: str, roots: dict[str, list[int]]
) -> dict[str, Any]:
    """Every phase against the system at `base_url`; the figures as one JSON-ready dict."""
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    figures: dict[str, Any] = {"seed": _seed(options, database_url, tag)}
    if options.at_rest:
        say(f"posting {options.at_rest} orders one at a time on the idle system")
        figures["at_rest"] = single_orders(base_url, options.at_rest)
    probe = Client(base_url)
    before = counts(probe)
    say(f"posting {options.orders} orders from {options.concurrency} clients")
    recorders = (
        start_recording(options.profile_dir, roots, options.profile_seconds) if options.profile_dir else []
    )
    ticks = cpu_ticks(roots)
    posted, accepted, started = post_orders(base_url, options.orders, options.concurrency)
    figures["post"] = posted
    say(f"posted: {posted['per_s']}/s p99 {posted['p99_ms']} ms; waiting for settlement")
    figures["end_to_end"] = settled = _settle(options, probe, before, len(accepted), started)
    after = cpu_ticks(roots)
    used = cpu_used(
        ticks, after, len(accepted), settled["seconds"], ticks_per_s=ticks_per_second(), cores=cores()
    )
    figures["cpu"] = used
    say(f"CPU ms per order until settled: {used['cpu_ms_per_order']}")
    if settled["settled"] and accepted:
        figures["stages"] = stage_times(database_url, accepted)
    if recorders:
        finish_recording(options.profile_dir, recorders)
    figures["reads"] = _reads(options, base_url, _id_picker(accepted, options.seed_rows, tag))
    if options.deep_clients:
        say(f"page 1 from {options.page1_clients} clients beside {options.deep_clients} reading deep pages")
        depth = (options.page1_clients, options.deep_clients, options.deep_seconds, options.deep_limit)
        figures["deep_pages"] = deep_reads(base_url, *depth)
    figures["memory"] = memory_mb(roots)
    probe.close()
    return figures


def _seed(options: argparse.Namespace, database_url: str, tag: str) -> dict[str, Any]:
    if not options.seed_rows:
        return {"rows": 0}
    say(f"seeding {options.seed_rows} orders and payments")
    started = time.monotonic()
    seed(database_url, options.seed_rows, tag)
    return {"rows": options.seed_rows, "seconds": round(time.monotonic() - started, 1)}


def _settle(
    options: argparse.Namespace, probe: Client, before: Counts, accepted: int, started: float
) -> dict[str, Any]:
    expected = Counts(before.orders + accepted, 0, before.payments + accepted, 0, {})
    settled = wait_settled(probe, expected, timeout=options.settle_timeout)
    seconds = settled["at"] - started
    return {
        "settled": settled["settled"],
        "seconds": round(seconds, 3),
        "orders_per_s": round(accepted / seconds, 1) if settled["settled"] and seconds > 0 else 0.0,
        "payments_by_status": settled["payments_by_status"],
    }


def _reads(options: argparse.Namespace, base_url: str, order_id: Callable[[], str]) -> dict[str, Any]:
    if options.read_seconds <= 0:
        return {}
    paths: dict[str, Callable[[], str]] = {
        "orders_page": lambda: "/orders?page=1&limit=10",
        "order_by_id": lambda: f"/orders/{order_id()}",
        "payments_stats": lambda: "/payments/stats",
    }
    figures = {}
    for name, path in paths.items():
        say(f"reading {name} from {options.read_clients} clients for {options.read_seconds:g} s")
        figures[name] = read_for(base_url, options.read_clients, options.read_seconds, path)
    return figures


def _id_picker(accepted: list[str], seeded: int, tag: str) -> Callable[[], str]:
    """Random ids from the accepted orders and, when seeded, from the seeded ones (half and half)."""
    seeded_id = seeded_order_id(tag)

    def pick() -> str:
        if seeded and (not accepted or random.random() < 0.5):
            return seeded_id(random.randint(1, seeded))
        return random.choice(accepted)

    return pick
