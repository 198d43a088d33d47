"""Capped exponential back-off for reconnect loops (relay, workers)."""

from __future__ import annotations


class Backoff:
    """Delays that double from `initial` up to `cap`; `reset` after a success."""

    def __init__(self, initial: float = 0.2, cap: float = 5.0) -> None:
        self._initial = initial
        self._cap = cap
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._cap, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self._initial
