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
    """Clock ticks used so far by each live process, each counted in one group only: this process as
    `benchmark`, then each role (its roots and all their descendants), then each shared service."""
    children = children_by_parent()
    own = os.getpid()
    groups: Ticks = {"benchmark": {own: read_ticks(own)[1] or 0}}
    seen = {own}
    for role, pids in roots.items():
        groups[role] = {}
        todo = list(pids)
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            if pid not in seen and (ticks := read_ticks(pid)[1]) is not None:
                groups[role][pid] = ticks
                seen.add(pid)
    for entry in PROC.iterdir():
        if entry.name.isdigit() and int(entry.name) not in seen:
            name, ticks = read_ticks(int(entry.name))
            group = next((g for g, process in SERVICES.items() if process == name), None)
            if group is not None and ticks is not None:
                groups.setdefault(group, {})[int(entry.name)] = ticks
    return groups


def cpu_used(
    before: Ticks, after: Ticks, orders: int, seconds: float, *, ticks_per_s: float, cores: int
) -> dict[str, Any]:
    """CPU seconds of each group between two snapshots, in all and per order, and the share of the
    cores they add up to. A process born in between counts from zero; one that ended in between is
    missing, its time lost: the figures are a floor."""
    used = {
        group: sum(ticks - before.get(group, {}).get(pid, 0) for pid, ticks in pids.items()) / ticks_per_s
        for group, pids in after.items()
    }
    ranked = sorted(used.items(), key=lambda item: -item[1])
    total, capacity = sum(used.values()), cores * seconds
    return {
        "seconds": round(seconds, 3),
        "cpu_s": {group: round(value, 2) for group, value in ranked},
        "cpu_ms_per_order": {group: round(1000 * value / max(orders, 1), 3) for group, value in ranked},
        "total_cpu_s": round(total, 2),
        "share_of_cores": round(total / capacity, 3) if capacity > 0 else 0.0,
    }


def ticks_per_second() -> float:
    """The unit of the times in /proc/<pid>/stat."""
    return float(os.sysconf("SC_CLK_TCK"))


def cores() -> int:
    """The cores this process may run on (what the system under test shares with it)."""
    return len(os.sched_getaffinity(0))


def read_ticks(pid: int) -> tuple[str, int | None]:
    """(process name, user + system ticks) of a process; ("", None) when it is gone."""
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except OSError:
        return "", None


def parse_stat(stat: str) -> tuple[str, int]:
    """(name, utime + stime) from a /proc/<pid>/stat line; the name, in parentheses, may hold anything."""
    head, _, rest = stat.rpartition(")")
    fields = rest.split()  # fields[0] is the state, the third field of the line
    return head.partition("(")[2], int(fields[11]) + int(fields[12])
