"""Figures that tests measure (latencies, outages, times to settle), printed together when the run ends."""

from __future__ import annotations

REPORTED: list[str] = []  # every figures line of this run, in the order measured


def report(line: str) -> None:
    """Keep `line` for the run's terminal summary (tests/conftest.py prints them; CI's log keeps them)."""
    REPORTED.append(line)
