"""Latency samples turned into the figures the benchmark prints (rates, p50, p99 in milliseconds)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_seconds: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted samples, in milliseconds (0 when there are none)."""
    if not sorted_seconds:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_seconds)))
    return sorted_seconds[rank - 1] * 1000.0


@dataclass
class Tally:
    """What a group of clients saw in one phase: successful latencies and failures by kind."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def ok(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def failed(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count

    def summary(self, elapsed: float) -> dict[str, Any]:
        """Requests, errors, successful requests per second over `elapsed`, p50/p99/max in ms."""
        ordered = sorted(self.latencies)
        return {
            "ok": len(ordered),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "per_s": round(len(ordered) / elapsed, 1) if elapsed > 0 else 0.0,
            "p50_ms": round(percentile(ordered, 0.50), 2),
            "p99_ms": round(percentile(ordered, 0.99), 2),
            "max_ms": round(ordered[-1] * 1000.0, 2) if ordered else 0.0,
            "seconds": round(elapsed, 3),
        }
