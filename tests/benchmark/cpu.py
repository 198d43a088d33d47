"""CPU time by process role, PostgreSQL, RabbitMQ and the benchmark itself during a phase, from /proc."""

from __future__ import annotations

import os
from typing import Any

from tests.benchmark.memory import PROC, children_by_parent

# Shared services by process name: every PostgreSQL backend and RabbitMQ node on the machine, so another
# load on them is counted too (the figures assume an otherwise idle machine, as the rest of the benchmark).
SERVICES = {"postgres": "postgres", "rabbitmq": "beam.smp"}
Ticks = dict[str, dict[int, int]]


def cpu_ticks(roots: dict[str, list[int]]) -> Ticks:
    """Clock ticks used so far by each process, grouped: each role (its roots and their children), each
    shared service, and this process as `benchmark`."""
    children = children_by_parent()
    groups: Ticks = {}
    for role, pids in roots.items():
        members = [member for pid in pids for member in [pid, *children.get(pid, [])]]
        groups[role] = {pid: ticks for pid in members if (ticks := _ticks(pid)[1]) is not None}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            name, ticks = _ticks(int(entry.name))
            group = next((g for g, process in SERVICES.items() if process == name), None)
            if group is not None and ticks is not None:
                groups.setdefault(group, {})[int(entry.name)] = ticks
    groups["benchmark"] = {os.getpid(): _ticks(os.getpid())[1] or 0}
    return groups


def cpu_used(before: Ticks, after: Ticks, orders: int, seconds: float, ticks_per_s: float) -> dict[str, Any]:
    """CPU seconds of each group between two snapshots, in all and per order, and the share of the
    machine's cores they add up to. A process born in between counts from zero; one that ended in
    between is missing (its time is lost, so the figures are a floor)."""
    used = {
        group: sum(ticks - before.get(group, {}).get(pid, 0) for pid, ticks in pids.items()) / ticks_per_s
        for group, pids in after.items()
    }
    ranked = sorted(used.items(), key=lambda item: -item[1])
    total, capacity = sum(used.values()), (os.cpu_count() or 1) * seconds
    return {
        "seconds": round(seconds, 3),
        "cpu_s": {group: round(value, 2) for group, value in ranked},
        "cpu_ms_per_order": {group: round(1000 * value / max(orders, 1), 3) for group, value in ranked},
        "total_cpu_s": round(total, 2),
        "share_of_cores": round(total / capacity, 3) if capacity > 0 else 0.0,
    }


def ticks_per_second() -> float:
    return float(os.sysconf("SC_CLK_TCK"))


def _ticks(pid: int) -> tuple[str, int | None]:
    """(process name, user + system ticks) from /proc/<pid>/stat; ("", None) when it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return "", None
    head, _, rest = stat.rpartition(")")
    fields = rest.split()
    return head.partition("(")[2], int(fields[11]) + int(fields[12])
