"""Resident memory of the system's processes, read from /proc (VmRSS now, VmHWM the peak)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROC = Path("/proc")
ROLES = {
    "gateway": ("wsgi:app",),
    "orders": ("worker.py", "--role", "orders"),
    "payments": ("worker.py", "--role", "payments"),
}


def parse_pids(spec: str) -> dict[str, list[int]]:
    """`gateway=12,orders=34,payments=56,payments=78` -> {"gateway": [12], ...}."""
    found: dict[str, list[int]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        role, _, pid = part.partition("=")
        found.setdefault(role.strip(), []).append(int(pid))
    return found


def scan_pids() -> dict[str, list[int]]:
    """Root processes by role, found by their command lines (a gunicorn master, not its workers)."""
    cmdlines = {pid: _cmdline(pid) for pid in _all_pids()}
    found: dict[str, list[int]] = {}
    for pid, argv in cmdlines.items():
        for role, needles in ROLES.items():
            matches = bool(argv) and all(any(n in arg for arg in argv) for n in needles)
            if matches and cmdlines.get(_parent(pid)) != argv:  # a gunicorn worker repeats its master's argv
                found.setdefault(role, []).append(pid)
    return found


def memory_mb(roots: dict[str, list[int]]) -> dict[str, Any]:
    """RSS and peak RSS (MB) of every root and its children, grouped by role, with the sum."""
    children = children_by_parent()
    report: dict[str, Any] = {}
    total = peak = 0.0
    for role, pids in sorted(roots.items()):
        for pid in pids:
            for label, member in [(role, pid)] + [(f"{role}_child", c) for c in children.get(pid, [])]:
                rss, hwm = _status_mb(member)
                report.setdefault(label, []).append({"pid": member, "rss_mb": rss, "peak_mb": hwm})
                total, peak = total + rss, peak + hwm
    report["total_rss_mb"] = round(total, 1)
    report["total_peak_mb"] = round(peak, 1)
    return report


def _status_mb(pid: int) -> tuple[float, float]:
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = round(int(rest.split()[0]) / 1024.0, 1)
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def _cmdline(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _parent(pid: int) -> int:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def children_by_parent() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for pid in _all_pids():
        found.setdefault(_parent(pid), []).append(pid)
    return found
