"""Messages as JSON: the one envelope (id, type, version, time, correlation id, payload), its checked
fields, and the errors that say a message can never be applied."""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Self

MAX_MESSAGE_BYTES = 64 * 1024
MAX_AMOUNT = Decimal("1000000.00")
CENT = Decimal("0.01")


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
            id=parse_uuid(data.get("id"), "envelope field 'id'"),
            type=_text(data.get("type"), "type"),
            version=_version(data.get("version")),
            occurred_at=_time(data.get("occurredAt")),
            correlation_id=_text(data.get("correlationId"), "correlationId"),
            payload=_payload(data.get("payload")),
        )


def new_envelope(event_type: str, version: int, payload: dict[str, Any], correlation_id: str) -> Envelope:
    """A fresh envelope stamped now (UTC) with a new event id."""
    return Envelope(uuid.uuid4(), event_type, version, datetime.now(UTC), correlation_id, payload)


def parse_uuid(value: object, what: str) -> uuid.UUID:
    """`value` as a UUID; ContractError naming `what` when it is not a UUID string."""
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    raise ContractError(f"{what} must be a UUID string")


def read_field(payload: dict[str, Any], name: str, kind: object) -> Any:
    """Payload field `name` (sent in camelCase) as a `kind`: a UUID, an amount, or an optional string."""
    key = camel(name)
    value = payload.get(key)
    if kind is uuid.UUID:
        return parse_uuid(value, f"payload field {key!r}")
    if kind is Decimal:
        return _amount(value, key)
    if value is not None and not isinstance(value, str):
        raise ContractError(f"payload field {key!r} must be a string or null")
    return value


def camel(name: str) -> str:
    return re.sub(r"_(\w)", lambda match: match.group(1).upper(), name)


def _amount(value: object, key: str) -> Decimal:
    try:
        amount = Decimal(value if isinstance(value, str) else "NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if amount.is_finite() and 0 < amount <= MAX_AMOUNT and amount == amount.quantize(CENT):
        return amount.quantize(CENT)
    raise ContractError(
        f"payload field {key!r} must be a decimal string with 2 places, > 0 and <= {MAX_AMOUNT}"
    )


def _text(value: object, name: str) -> str:
    if isinstance(value, str) and 0 < len(value) <= 200:
        return value
    raise ContractError(f"envelope field {name!r} must be a non-empty string")


def _version(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ContractError("envelope field 'version' must be a positive integer")


def _time(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ContractError("envelope field 'occurredAt' must be an ISO 8601 time with a zone")
    return parsed


def _payload(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise ContractError("envelope field 'payload' must be a JSON object")
