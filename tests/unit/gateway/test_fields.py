"""Amounts leave as JSON numbers that read back exactly; times leave as UTC with milliseconds and Z."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from app.contracts import MAX_AMOUNT
from app.gateway.fields import Amount, Money, Timestamp


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        ("999.00", "999"),
        ("0.01", "0.01"),
        ("1000000.00", "1000000"),
        ("999999.99", "999999.99"),
        ("10.50", "10.5"),
    ],
)
def test_amounts_are_written_as_numbers_that_read_back_to_the_same_decimal(amount: str, written: str) -> None:
    text = json.dumps(Amount().serialize("a", {"a": Decimal(amount)}))

    assert text == written
    assert Decimal(text) == Decimal(amount)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 2, 15, 1, 42, 19, 123456, tzinfo=UTC),
        datetime(2026, 2, 15, 3, 42, 19, 123456, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 2, 15, 1, 42, 19, 123456),
    ],
)
def test_times_are_written_in_utc_with_milliseconds_and_z(moment: datetime) -> None:
    assert Timestamp().serialize("t", {"t": moment}) == "2026-02-15T01:42:19.123Z"


def test_the_http_bound_on_amounts_is_the_event_contracts_bound() -> None:
    money = Money()

    accepted = money.deserialize(MAX_AMOUNT)

    assert accepted == MAX_AMOUNT
    with pytest.raises(ValidationError, match="at most"):
        money.deserialize(MAX_AMOUNT + Decimal("0.01"))
