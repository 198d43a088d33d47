"""Parsers of setting values: each returns the value or raises ValueError saying what it must be."""

import math
import re
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def bounded(kind: Callable[[str], N], low: float, high: float, must: str) -> Callable[[str], N]:
    """A parser of a number of `kind` between `low` and `high`, inclusive; `must` says so when not."""

    def parse(raw: str) -> N:
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(must)
        return value

    return parse


positive_int = bounded(int, 1, math.inf, "must be a positive integer")
non_negative_int = bounded(int, 0, math.inf, "must be zero or a positive integer")
rate = bounded(float, 0.0, 1.0, "must be a number between 0 and 1")
port = bounded(int, 0, 65535, "must be a TCP port between 0 and 65535 (0 disables)")


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw.lower()

    return parse


def delays(raw: str) -> tuple[int, ...]:
    values = tuple(positive_int(part.strip()) for part in raw.split(","))
    if list(values) != sorted(values):
        raise ValueError("must be a comma-separated, non-decreasing list of milliseconds")
    return values


def text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def key_hashes(raw: str) -> tuple[str, ...]:
    hashes = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes):
        raise ValueError("must be a comma-separated list of sha256:<64 hex digits> (see `payflow hash-key`)")
    return hashes
