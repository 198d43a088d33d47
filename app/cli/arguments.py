"""Argument types the operator commands share: timestamps in ISO 8601 and positive counts."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def iso_time(raw: str) -> datetime:
    """An ISO 8601 timestamp; one without a zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an ISO 8601 time (e.g. 2026-11-26T09:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def positive_int(raw: str) -> int:
    """A whole number above zero."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a positive whole number")
    return value


def non_negative_int(raw: str) -> int:
    """A whole number, zero or more."""
    if not raw.isdigit():
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of zero or more")
    return int(raw)
