"""The HTTP contract's value types: exact money in, JSON-number amounts and UTC times out, ids in URLs."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter

from app.contracts import MAX_AMOUNT

CENT = Decimal("0.01")


class Money(fields.Field[Decimal]):
    """A JSON number (> 0, <= MAX_AMOUNT, 2 decimals), which the body parser hands over as int or Decimal."""

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
    The text is exact up to 15 significant digits (a double's): any one amount (at most 9) and any status
    total below 10^13. Clients read JSON numbers as doubles anyway, so more digits would not reach them."""

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


class UuidConverter(BaseConverter):
    """URL segments `<id:...>`: any one segment, parsed as a UUID; a malformed one is a clear 400, not an
    HTML 404 (an HTTPException, because only those are turned into the request's routing error)."""

    regex = "[^/]+"

    def to_python(self, value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            shown = value if len(value) <= 64 else f"{value[:64]}..."
            raise BadRequest(f"{shown!r} is not a valid UUID") from None
