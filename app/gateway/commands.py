"""The write use cases, create_order and cancel_order: one command per Idempotency-Key and API key."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, Self

from app.contracts import Envelope, OrderCancelled, OrderCreated
from app.gateway.errors import IdempotencyKeyReused, InvalidIdempotencyKey, OrderNotCancellable, OrderNotFound
from app.orders import OrderQueries, is_cancellable

CREATE_ORDER = "create_order"
CANCEL_ORDER = "cancel_order"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Command:
    """A command the gateway accepted, with the exact JSON text it answered (replayed for a repeated key),
    and the id of the API key that sent it ("" when authentication is off): the key's namespace of
    idempotency keys, and the audit trail of who sent what."""

    id: uuid.UUID
    kind: str
    order_id: uuid.UUID
    idempotency_key: str | None
    request_hash: str | None  # None without an Idempotency-Key: nothing to compare it with
    response_status: int
    response_body: str
    api_key_id: str = ""


class CommandStore(Protocol):
    """The gateway's own table of accepted commands, written together with their events."""

    # Stores the command with the event it emits; when its key was used before, for any command of any
    # kind, returns that command. `find` returns the command under a key (the one with `request_hash`
    # when commands from before one key per command share it).
    def record(self, command: Command, event: Envelope) -> Command: ...
    def find(self, idempotency_key: str, api_key_id: str, request_hash: str | None) -> Command | None: ...
    def order_was_accepted(self, order_id: uuid.UUID) -> bool: ...


@dataclass(frozen=True)
class Submission:
    """What the use cases need of a write request besides its fields; `request_hash` with a key only."""

    key: str | None
    request_hash: str | None
    correlation_id: str
    api_key_id: str = ""

    @classmethod
    def of(
        cls, key: str | None, route: str, fields: dict[str, Any], correlation_id: str, api_key_id: str = ""
    ) -> Self:
        """Hashes the route and the validated fields in canonical JSON, so 999 and 999.00 are one request."""
        if key is None:
            return cls(None, None, correlation_id, api_key_id)
        if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
            raise InvalidIdempotencyKey(
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters"
            )
        if "," in key:  # the server joins a header sent twice with commas: "a,b" was never one key
            raise InvalidIdempotencyKey("Idempotency-Key must be sent once, and may not contain a comma")
        canonical = json.dumps({"route": route, "body": fields}, sort_keys=True, separators=(",", ":"))
        return cls(key, hashlib.sha256(canonical.encode()).hexdigest(), correlation_id, api_key_id)


@dataclass(frozen=True)
class Reply:
    """The command whose answer is sent; `replayed` when it was accepted earlier under the same key."""

    command: Command
    replayed: bool = False


def create_order(store: CommandStore, user_id: uuid.UUID, total: Decimal, sent: Submission) -> Reply:
    """Accept a new order under a fresh id: one command row and one OrderCreated event, atomically."""
    order_id = uuid.uuid4()
    # The fields in the order OrderAcceptedSchema documents them.
    body = {
        "orderId": str(order_id),
        "message": "Order creation request accepted",
        "status": "PENDING_PAYMENT",
    }
    event = OrderCreated(order_id=order_id, user_id=user_id, total=total).to_envelope(sent.correlation_id)
    return _accept(store, new_command(CREATE_ORDER, order_id, sent, body), event)


def cancel_order(orders: OrderQueries, store: CommandStore, order_id: uuid.UUID, sent: Submission) -> Reply:
    """Accept a cancellation of an order that exists (or was accepted, not stored yet) and can still be
    cancelled; a repeated key replays its first answer, so a retry after the order became CANCELLED gets
    its 202 again, not a 409."""
    earlier = None if sent.key is None else store.find(sent.key, sent.api_key_id, sent.request_hash)
    if earlier is not None:
        return _replay(earlier, sent.request_hash)
    order = orders.get(order_id)
    if order is None and not store.order_was_accepted(order_id):
        raise OrderNotFound(f"Order {order_id} not found")
    if order is not None and not is_cancellable(order.status):
        raise OrderNotCancellable(f"Order {order_id} is {order.status} and cannot be cancelled")
    # The fields in the order CancelAcceptedSchema documents them.
    body = {"orderId": str(order_id), "message": "Order cancellation request accepted"}
    event = OrderCancelled(order_id=order_id).to_envelope(sent.correlation_id)
    return _accept(store, new_command(CANCEL_ORDER, order_id, sent, body), event)


def new_command(kind: str, order_id: uuid.UUID, sent: Submission, body: dict[str, str]) -> Command:
    """Kept as the exact text sent: compact JSON and a final newline, as Flask writes every other answer."""
    text = json.dumps(body, separators=(",", ":")) + "\n"
    return Command(uuid.uuid4(), kind, order_id, sent.key, sent.request_hash, 202, text, sent.api_key_id)


def _accept(store: CommandStore, command: Command, event: Envelope) -> Reply:
    """Record the command with its event, unless its key was used before: then replay or refuse."""
    stored = store.record(command, event)
    return Reply(command) if stored.id == command.id else _replay(stored, command.request_hash)


def _replay(stored: Command, hashed: str | None) -> Reply:
    if stored.request_hash != hashed:
        raise IdempotencyKeyReused("Idempotency-Key was already used with a different request")
    return Reply(stored, replayed=True)
