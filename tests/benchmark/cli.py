"""Runs the benchmark against a running system, or one it starts itself, and prints one JSON line."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from tests.benchmark.client import Client
from tests.benchmark.launcher import Started, started_system
from tests.benchmark.memory import parse_pids, scan_pids
from tests.benchmark.options import parse
from tests.benchmark.run import run, say


def main(argv: list[str] | None = None) -> int:
    """Parse options, run every phase, write the figures as one JSON line on stdout."""
    options = parse(argv)
    Client.headers = {k.strip(): v.strip() for k, v in (h.split(":", 1) for h in options.header)}
    figures: dict[str, Any] = {}
    try:
        with _target(options) as target:
            say(f"system at {target.base_url}, processes {target.pids}")
            load_before = os.getloadavg()
            figures = run(options, target.base_url, target.database_url, target.pids)
            host = {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
            line = {
                "benchmark": "payflow",
                "workload": options.workload,
                "params": _params(options),
                "host": host,
            }
            sys.stdout.write(json.dumps(line | figures, separators=(",", ":")) + "\n")
            sys.stdout.flush()
    except subprocess.CalledProcessError as exc:
        if not figures:
            raise
        say(f"clean-up failed after the run (figures above stand): {exc}")
    return 0 if figures["end_to_end"]["settled"] else 1


@contextlib.contextmanager
def _target(options: argparse.Namespace) -> Iterator[Started]:
    if not options.start_system:
        yield Started(options.base_url, options.database_url, parse_pids(options.pids) or scan_pids())
        return
    workers = {
        "gateway": options.gateways,
        "orders": options.orders_workers,
        "payments": options.payments_workers,
    }
    extra = dict(item.split("=", 1) for item in options.env)
    say(f"starting the system (payment latency {options.latency_ms} ms, workers {workers})")
    with started_system(options.latency_ms, workers, extra, options.log_dir) as started:
        yield started


def _params(options: argparse.Namespace) -> dict[str, object]:
    names = ["orders", "concurrency", "read_clients", "read_seconds", "seed_rows", "start_system"]
    names += ["deep_clients", "page1_clients", "deep_seconds", "deep_limit"] if options.deep_clients else []
    if options.start_system:
        names += ["latency_ms", "gateways", "orders_workers", "payments_workers", "env"]
    return {name: getattr(options, name) for name in names}
