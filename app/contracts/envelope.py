"""The one message envelope: id, type, version, time, correlation id and payload, as JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.contracts.errors import ContractError

MAX_MESSAGE_BYTES = 64 * 1024


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
        return json.dumps(
            {
                "id": str(self.id),
                "type": self.type,
                "version": self.version,
                "occurredAt": self.occurred_at.isoformat(),
                "correlationId": self.correlation_id,
                "payload": self.payload,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str | bytes) -> Envelope:
        """Parse and check an envelope; anything malformed raises ContractError."""
        if len(body) > MAX_MESSAGE_BYTES:
            raise ContractError(f"message of {len(body)} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ContractError(f"message is not JSON: {exc}") from None
        except RecursionError:
            raise ContractError("message nests JSON too deeply") from None
        if not isinstance(data, dict):
            raise ContractError("message is not a JSON object")
        return cls(
            id=_uuid(data.get("id"), "id"),
            type=_str(data.get("type"), "type"),
            version=_int(data.get("version"), "version"),
            occurred_at=_time(data.get("occurredAt")),
            correlation_id=_str(data.get("correlationId"), "correlationId"),
            payload=_payload(data.get("payload")),
        )


EventHandler = Callable[[Envelope], None]
"""What a module hands the bus for each event type: apply the event, or raise."""


def new_envelope(event_type: str, version: int, payload: dict[str, Any], correlation_id: str) -> Envelope:
    """A fresh envelope stamped now (UTC) with a new event id."""
    return Envelope(uuid.uuid4(), event_type, version, datetime.now(UTC), correlation_id, payload)


def _uuid(value: object, name: str) -> uuid.UUID:
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    raise ContractError(f"envelope field {name!r} must be a UUID string")


def _str(value: object, name: str) -> str:
    return value if isinstance(value, str) and 0 < len(value) <= 200 else _fail(name, "a non-empty string")


def _int(value: object, name: str) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else _fail(name, "a positive integer")  # type: ignore[return-value]


def _time(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ContractError("envelope field 'occurredAt' must be an ISO 8601 time with a zone")
    return parsed


def _payload(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else _fail("payload", "a JSON object")


def _fail(name: str, expected: str) -> Any:
    raise ContractError(f"envelope field {name!r} must be {expected}")
