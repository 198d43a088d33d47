"""Accepting a command once per Idempotency-Key: record it with its events, or replay the first answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.contracts import Envelope
from app.gateway.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from app.gateway.ports import Command, CommandStore

CREATE_ORDER = "create_order"
CANCEL_ORDER = "cancel_order"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to a command; `replayed` when it repeats an earlier one for the same key."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def idempotency_key(raw: str | None) -> str | None:
    """The header value when present and 1-255 printable ASCII characters; InvalidIdempotencyKey otherwise."""
    if raw is None:
        return None
    if not 0 < len(raw) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in raw):
        raise InvalidIdempotencyKey(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return raw


def request_hash(method: str, path: str, body: dict[str, Any]) -> str:
    """sha256 of the route and the validated body in canonical JSON (so 999 and 999.00 are one request)."""
    canonical = json.dumps({"route": f"{method} {path}", "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def accept(store: CommandStore, command: Command, events: Sequence[Envelope]) -> Reply:
    """Record the command with its events, unless its key was used before: then replay or refuse."""
    stored = store.record(command, events)
    return _reply(command, stored)


def earlier_reply(store: CommandStore, kind: str, key: str | None, hashed: str) -> Reply | None:
    """The answer already given for this key, checked before the current state is (a cancel repeated
    after the order became CANCELLED must replay its 202, not fail with 409)."""
    if key is None:
        return None
    stored = store.find(kind, key)
    return None if stored is None else _replay(stored, hashed)


def new_command(
    kind: str, order_id: uuid.UUID, key: str | None, hashed: str, body: dict[str, Any]
) -> Command:
    """A command answered with 202 and `body`."""
    return Command(uuid.uuid4(), kind, order_id, key, hashed, 202, body)


def _reply(command: Command, stored: Command) -> Reply:
    if stored.id == command.id:
        return Reply(command.response_status, command.response_body)
    return _replay(stored, command.request_hash)


def _replay(stored: Command, hashed: str) -> Reply:
    if stored.request_hash != hashed:
        raise IdempotencyKeyReused("Idempotency-Key was already used with a different request")
    return Reply(stored.response_status, stored.response_body, replayed=True)
