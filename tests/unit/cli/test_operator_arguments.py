"""Argument types of the operator commands: ISO times (UTC when no zone), positive and non-negative counts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.cli.console import iso_time, non_negative_int, positive_int


def test_a_time_without_a_zone_is_taken_as_utc() -> None:
    parsed = iso_time("2026-11-26T09:30:00")

    assert parsed == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def test_a_time_with_a_zone_keeps_it() -> None:
    parsed = iso_time("2026-11-26T09:30:00+02:00")

    assert parsed.utcoffset() == timedelta(hours=2)
    assert parsed == datetime(2026, 11, 26, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["yesterday", "", "26/11/2026"])
def test_a_time_that_is_not_iso_8601_is_refused(raw: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601 time"):
        iso_time(raw)


@pytest.mark.parametrize(
    ("parse", "raw"), [(positive_int, "0"), (positive_int, "x"), (non_negative_int, "-1")]
)
def test_counts_out_of_range_are_refused(parse: Callable[[str], int], raw: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse(raw)


def test_counts_in_range_are_parsed() -> None:
    values = (positive_int("5"), non_negative_int("0"))

    assert values == (5, 0)
