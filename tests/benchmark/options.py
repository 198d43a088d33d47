"""Command-line options of the benchmark and the issues' workload presets (W1, W2, W3, DEEP)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from app.config import SETTINGS

PRESETS: dict[str, dict[str, Any]] = {
    "W1": {"latency_ms": 0, "orders": 5000, "concurrency": 32, "at_rest": 100},
    "W2": {"latency_ms": 1500, "orders": 2000, "concurrency": 64, "payments_workers": 1},
    "W3": {"latency_ms": 0, "orders": 1000, "concurrency": 32, "seed_rows": 200_000, "read_clients": 16},
    "DEEP": {
        "latency_ms": 0,
        "orders": 500,
        "concurrency": 16,
        "seed_rows": 500_000,
        "read_seconds": 0,
        "deep_clients": 32,
    },
}
DEFAULTS: dict[str, Any] = {
    "orders": 5000,
    "concurrency": 32,
    "read_clients": 16,
    "read_seconds": 10.0,
    "seed_rows": 0,
    "at_rest": 0,
    "latency_ms": int(SETTINGS["payment_latency_ms"].default),
    "gateways": 1,
    "orders_workers": 1,
    "payments_workers": 1,
    "deep_clients": 0,
    "page1_clients": 8,
    "deep_seconds": 15.0,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Options as given, then the workload preset, then the defaults (an explicit option always wins)."""
    options = _parser().parse_args(argv)
    preset = PRESETS.get(options.workload or "", {})
    for name, default in DEFAULTS.items():
        if getattr(options, name) is None:
            setattr(options, name, preset.get(name, default))
    return options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmark",
        description="Drive payflow through its HTTP API and print one JSON line of figures.",
    )
    add = parser.add_argument
    add("--workload", choices=sorted(PRESETS), help="preset: W1, W2, W3 (issue 8), DEEP (issue 11)")
    add("--orders", type=int, help="orders to POST (default 5000)")
    add("--concurrency", type=int, help="concurrent POST clients (default 32)")
    add("--read-clients", type=int, help="concurrent clients per read (default 16)")
    add("--read-seconds", type=float, help="seconds each of the three reads runs (default 10; 0 skips reads)")
    add("--seed-rows", type=int, help="settled orders+payments inserted by SQL before the run (default 0)")
    add(
        "--deep-clients", type=int, help="clients reading the deepest pages beside page 1 (DEEP: 32; 0 skips)"
    )
    add("--page1-clients", type=int, help="clients reading page 1 while others read deep pages (default 8)")
    add("--deep-seconds", type=float, help="seconds of each deep-page phase (default 15)")
    add("--deep-limit", type=int, default=100, help="limit of the deep pages (default 100)")
    add("--at-rest", type=int, help="orders posted one at a time first, each timed to PAID (W1: 100)")
    add("--base-url", default="http://127.0.0.1:3000/api", help="API root of a running system")
    add(
        "--database-url",
        default=_database_url(),
        help="for --seed-rows and the stage times (default PAYFLOW_DATABASE_URL)",
    )
    add("--pids", default="", help="role=pid,... of a running system (default: found in /proc)")
    add("--header", action="append", default=[], metavar="NAME:VALUE", help="sent with every request")
    add("--settle-timeout", type=float, default=900.0, help="give up waiting for settlement after this")
    _add_system_options(parser)
    return parser


def _add_system_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--start-system", action="store_true", help="start gunicorn + workers on a fresh DB and vhost")
    add("--latency-ms", type=int, help="PAYFLOW_PAYMENT_LATENCY_MS for --start-system (default 1500)")
    add(
        "--gateways", type=int, help="gunicorn masters sharing the port (SO_REUSEPORT) for --start-system (1)"
    )
    add("--orders-workers", type=int, help="orders worker processes for --start-system (default 1)")
    add("--payments-workers", type=int, help="payments worker processes for --start-system (default 1)")
    add("--env", action="append", default=[], metavar="NAME=VALUE", help="extra env for --start-system")
    add("--log-dir", help="keep the started processes' logs here")
    add("--profile-dir", help="run py-spy (if installed) on every process during the POST phase")
    add("--profile-seconds", type=int, default=20, help="py-spy recording length (default 20)")


def _database_url() -> str:
    return os.environ.get(SETTINGS["database_url"].env, SETTINGS["database_url"].default)
