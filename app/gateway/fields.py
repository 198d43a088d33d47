"""Marshmallow fields of the HTTP contract: exact money in; JSON-number amounts, millisecond UTC times out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

CENT = Decimal("0.01")
# The contract's bound (app.contracts.events.MAX_AMOUNT, not exported); a unit test keeps them equal.
MAX_AMOUNT = Decimal("1000000.00")


class Money(fields.Field[Decimal]):
    """A JSON number > 0, <= MAX_AMOUNT, with at most 2 decimals; strings, booleans and NaN are refused.
    The body parser hands fractions over as Decimal, so no float is ever involved."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise ValidationError("Must be a JSON number.")
        amount = Decimal(value)
        if not amount.is_finite() or amount <= 0:
            raise ValidationError("Must be greater than 0.")
        if amount > MAX_AMOUNT:
            raise ValidationError(f"Must be at most {MAX_AMOUNT}.")
        if amount != amount.quantize(CENT):
            raise ValidationError("Must have at most 2 decimal places.")
        return amount.quantize(CENT)


class Amount(fields.Field[Decimal]):
    """A Decimal written as a JSON number: an int when integral (the seed shows `"total": 999`), else a float.

    The float exists only in the response text: every amount is <= 1,000,000.00 with 2 decimals, i.e. at most
    9 significant digits, far below the 15 a double preserves, so `float(amount)` prints back the same
    decimal. No arithmetic is ever done on it.
    """

    def _serialize(
        self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)


class Timestamp(fields.Field[datetime]):
    """ISO 8601 in UTC with milliseconds and a `Z`, like the seed: 2026-02-15T01:42:19.000Z."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
