"""Parsers of setting values: each returns the value or raises ValueError saying what it must be."""

import re
from collections.abc import Callable


def positive_int(raw: str) -> int:
    """A whole number above zero."""
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def non_negative_int(raw: str) -> int:
    """A whole number, zero or more."""
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def rate(raw: str) -> float:
    """A share between 0 and 1."""
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be a number between 0 and 1")
    return value


def port(raw: str) -> int:
    """A TCP port; 0 disables what listens on it."""
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a TCP port between 0 and 65535 (0 disables)")
    return value


def choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting one of `allowed`, in any case, and returning it in lower case."""

    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw.lower()

    return parse


def delays(raw: str) -> tuple[int, ...]:
    """Comma-separated positive milliseconds, never decreasing."""
    values = tuple(positive_int(part.strip()) for part in raw.split(","))
    if list(values) != sorted(values):
        raise ValueError("must be a comma-separated, non-decreasing list of milliseconds")
    return values


def text(raw: str) -> str:
    """Any text that is not blank."""
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def key_hashes(raw: str) -> tuple[str, ...]:
    """Comma-separated `sha256:<64 hex digits>` digests, lower-cased; empty is none."""
    hashes = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes):
        raise ValueError("must be a comma-separated list of sha256:<64 hex digits> (see `payflow hash-key`)")
    return hashes
