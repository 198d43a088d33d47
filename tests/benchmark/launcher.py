"""`--start-system`: gunicorn and the workers on a fresh database and vhost, stopped when the run ends."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.config import SETTINGS
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, free_port, system_env


@dataclass(frozen=True)
class Started:
    """What the benchmark needs from a system it started: its API, database and root pids by role."""

    base_url: str
    database_url: str
    pids: dict[str, list[int]]


def production_env(
    database_url: str, broker_url: str, latency_ms: int, extra: dict[str, str]
) -> dict[str, str]:
    """The test environment, but with the shipped defaults for deadlines, retries and logging."""
    defaults = {spec.env: spec.default for spec in SETTINGS.values()}
    keep = ("PAYFLOW_PAYMENT_DEADLINE_S", "PAYFLOW_RETRY_DELAYS_MS", "PAYFLOW_HTTP_WORKERS")
    overrides = {name: defaults[name] for name in keep}
    overrides["PAYFLOW_PAYMENT_LATENCY_MS"] = str(latency_ms)
    for role in ("orders", "payments"):  # never the fixed default port another running stack may hold
        if f"{role}_metrics_port" in SETTINGS:
            overrides[SETTINGS[f"{role}_metrics_port"].env] = str(free_port())
    return system_env(database_url, broker_url, **(overrides | extra))


@contextlib.contextmanager
def started_system(
    latency_ms: int, workers: dict[str, int], extra: dict[str, str], log_dir: str | None
) -> Iterator[Started]:
    """Set up and start everything (`workers` processes per role), yield, then stop with SIGTERM.
    Process logs go to `log_dir` when given (kept), else to a temporary directory (removed)."""
    logs_kept = contextlib.nullcontext(log_dir) if log_dir else None
    with (
        fresh_database("payflow_bench") as db,
        fresh_vhost("payflow-bench") as vhost,
        logs_kept or tempfile.TemporaryDirectory(prefix="payflow-bench-") as logs,
    ):
        Path(logs).mkdir(parents=True, exist_ok=True)
        sized = {SETTINGS["processes_per_role"].env: str(max(workers.values(), default=1))}  # role limits
        system = RunningSystem(production_env(db, vhost, latency_ms, sized | extra), Path(logs))
        system.setup()
        system.start_all()
        for role, count in workers.items():
            for n in range(2, count + 1):
                _start_another(system, role, f"{role}{n}")
        try:
            yield Started(system.api.base_url, db, _roots(system))
        finally:
            codes = system.stop_all()
            sys.stderr.write(f"benchmark: system stopped with exit codes {codes}\n")


def _start_another(system: RunningSystem, role: str, name: str) -> None:
    """A further process of `role`, on a port of its own for its metrics endpoint. Another gateway binds
    the same address as the first: gunicorn's SO_REUSEPORT lets the kernel spread connections over both."""
    saved = dict(system.env)
    if role == "gateway":
        system.env[SETTINGS["metrics_bind"].env] = f"127.0.0.1:{free_port()}"
    elif (port := SETTINGS.get(f"{role}_metrics_port")) is not None:
        system.env[port.env] = str(free_port())
    try:
        system.start(name, role)
    finally:
        system.env.clear()
        system.env.update(saved)


def _roots(system: RunningSystem) -> dict[str, list[int]]:
    roots: dict[str, list[int]] = {}
    for name, process in system.processes.items():
        roots.setdefault(name.rstrip("0123456789"), []).append(process.pid)
    return roots
