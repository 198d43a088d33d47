"""Messages as JSON: the one envelope, its checked fields, and the errors saying a message can never apply."""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Self, TypeVar

MAX_MESSAGE_BYTES = 64 * 1024
MAX_AMOUNT = Decimal("1000000.00")
CENT = Decimal("0.01")
# A day inside Python's range, so it reads back in any session time zone (offsets stay under a day).
EARLIEST, LATEST = (
    datetime.min.replace(tzinfo=UTC) + timedelta(1),
    datetime.max.replace(tzinfo=UTC) - timedelta(1),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
T = TypeVar("T")
_TEXT = "a string of 1-200 characters, none of them control characters"


class ContractError(ValueError):
    """The message is not a valid envelope or payload; it can never succeed (dead-letter it)."""


class UnknownEventType(ContractError):
    """The envelope names an event type or version nobody here understands."""


class NotYetApplicable(Exception):
    """The event depends on another one that has not been applied yet; retry it later."""


@dataclass(frozen=True)
class Envelope:
    """An event as it travels: `payload` holds the contract's fields as plain JSON values."""

    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    correlation_id: str
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        fields = {"id": str(self.id), "type": self.type, "version": self.version}
        fields |= {"occurredAt": self.occurred_at.isoformat(), "correlationId": self.correlation_id}
        return json.dumps({**fields, "payload": self.payload}, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str | bytes) -> Self:
        """Parse and check an envelope; anything malformed raises ContractError."""
        if len(body) > MAX_MESSAGE_BYTES:
            raise ContractError(f"message of {len(body)} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")
        try:
            data = json.loads(body)
        except ValueError as exc:  # UnicodeDecodeError included
            raise ContractError(f"message is not JSON: {exc}") from None
        except RecursionError:
            raise ContractError("message nests JSON too deeply") from None
        if not isinstance(data, dict):
            raise ContractError("message is not a JSON object")
        return cls(
            id=_field("envelope", data, "id", _uuid, "a UUID string"),
            type=_field("envelope", data, "type", _text, _TEXT),
            version=_field("envelope", data, "version", _version, "a positive integer"),
            occurred_at=_field(
                "envelope", data, "occurredAt", _time, "an ISO 8601 time with a zone, in years 1-9999 UTC"
            ),
            correlation_id=_field("envelope", data, "correlationId", _text, _TEXT),
            payload=_field("envelope", data, "payload", _object, "a JSON object"),
        )


def read_field(payload: dict[str, Any], name: str, kind: object) -> Any:
    """Payload field `name` (sent in camelCase) as a `kind`: a UUID, an amount, or an optional string."""
    parse, what = _PAYLOAD_KINDS.get(kind, (_optional_text, "a string without control characters, or null"))
    return _field("payload", payload, camel(name), parse, what)


def camel(name: str) -> str:
    return re.sub(r"_(\w)", lambda match: match.group(1).upper(), name)


def _field(where: str, data: dict[str, Any], key: str, parse: Callable[[Any], T], what: str) -> T:
    """`data[key]` parsed; a ContractError saying what it must be when `parse` refuses it."""
    try:
        return parse(data.get(key))
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        raise ContractError(f"{where} field {key!r} must be {what}") from None


def _valid(value: object, kind: type[T], ok: Callable[[T], bool] = lambda _: True) -> T:
    if isinstance(value, kind) and ok(value):
        return value
    raise ValueError(value)


def _uuid(value: object) -> uuid.UUID:
    return uuid.UUID(_valid(value, str))


def _text(value: object) -> str:
    return _valid(value, str, lambda text: 0 < len(text) <= 200 and _printable(text))


def _optional_text(value: object) -> str | None:
    return None if value is None else _valid(value, str, _printable)


def _printable(text: str) -> bool:
    """No control characters: PostgreSQL cannot store a NUL, and ids and reasons never hold the others."""
    return _CONTROL.search(text) is None


def _version(value: object) -> int:
    return _valid(value, int, lambda version: not isinstance(version, bool) and version > 0)


def _time(value: object) -> datetime:
    """A zoned time within years 1-9999 with a day to spare (a later or earlier one is stored, but could not
    be read back: every listing it sorts into would fail)."""
    parsed = datetime.fromisoformat(_valid(value, str))
    return _valid(parsed, datetime, lambda time: time.tzinfo is not None and EARLIEST <= time <= LATEST)


def _object(value: object) -> dict[str, Any]:
    return _valid(value, dict)


def _amount(value: object) -> Decimal:
    amount = Decimal(_valid(value, str))
    if amount.is_finite() and 0 < amount <= MAX_AMOUNT and amount == amount.quantize(CENT):
        return amount.quantize(CENT)
    raise ValueError(value)


_PAYLOAD_KINDS: dict[object, tuple[Callable[[Any], Any], str]] = {
    uuid.UUID: (_uuid, "a UUID string"),
    Decimal: (_amount, f"a decimal string with 2 places, > 0 and <= {MAX_AMOUNT}"),
}
