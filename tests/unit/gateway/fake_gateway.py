"""In-memory doubles of the gateway's ports (the modules' queries, the command store) and the gateway built
on them through the composition root, with settings that point at no reachable database or broker."""

from __future__ import annotations

import uuid
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from app.bootstrap import build_gateway
from app.config import Settings
from app.contracts import Envelope, Event, read_message
from app.gateway import Command, GatewayDeps
from app.orders import OrderStatus, OrderView
from app.payments import PaymentStatus, PaymentView, StatusTotal
from app.persistence import Change, Page, Position

CREATED = datetime(2026, 2, 15, 1, 42, 19, tzinfo=UTC)
UPDATED = datetime(2026, 2, 15, 1, 42, 21, 500000, tzinfo=UTC)
USER = uuid.UUID("d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f")
# Nothing listens on port 9: a read or write that slipped past the fakes fails at once instead of
# reaching a real database.
NO_DATABASE = "postgresql+psycopg2://payflow-unit-tests@127.0.0.1:9/never"


def unit_settings(**overrides: Any) -> Settings:
    """The defaults, whatever the environment says, with no reachable database and the memory broker."""
    return Settings.from_env({}, database_url=NO_DATABASE, broker_url="memory://", **overrides)


def an_order(status: OrderStatus = OrderStatus.PAID, total: str = "999") -> OrderView:
    return OrderView(uuid.uuid4(), USER, Decimal(total), status, CREATED, UPDATED)


def a_payment(
    status: PaymentStatus = PaymentStatus.APPROVED, reason: str | None = None, amount: str = "999.00"
) -> PaymentView:
    return PaymentView(uuid.uuid4(), uuid.uuid4(), Decimal(amount), status, reason, CREATED, UPDATED)


def _window(found: list[Any], page: int, limit: int, after: Position | None) -> Page[Any]:
    """Like the real pages, over a list taken as newest first: by page number or after a position."""
    start = (page - 1) * limit
    if after is not None:
        start = 1 + next(i for i, item in enumerate(found) if (item.created_at, item.id) == astuple(after))
    window = found[start : start + limit + 1]
    last = window[limit - 1] if len(window) > limit else None
    return Page(window[:limit], len(found), last and Position(last.created_at, last.id))


@dataclass
class FakeOrderQueries:
    """app.orders.OrderQueries over a list; `failures` are raised, one per read, before answering."""

    orders: list[OrderView] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def get(self, order_id: uuid.UUID) -> OrderView | None:
        self._maybe_fail()
        return next((o for o in self.orders if o.id == order_id), None)

    def page(
        self,
        *,
        limit: int,
        page: int = 1,
        after: Position | None = None,
        status: OrderStatus | None = None,
        user_id: uuid.UUID | None = None,
    ) -> Page[OrderView]:
        self._maybe_fail()
        self.calls.append({"page": page, "limit": limit, "status": status, "user_id": user_id})
        found = [o for o in self.orders if status in (None, o.status) and user_id in (None, o.user_id)]
        return _window(found, page, limit, after)

    def statuses(self, since: datetime | None = None) -> list[tuple[uuid.UUID, OrderStatus, datetime]]:
        self._maybe_fail()
        return [(o.id, o.status, o.updated_at) for o in self.orders if since is None or o.created_at >= since]

    def history(self, order_id: uuid.UUID) -> list[Change]:
        """The fake keeps no history (the gateway never reads it)."""
        self._maybe_fail()
        return []

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)


@dataclass
class FakePaymentQueries:
    """app.payments.PaymentQueries over a list; `failures` are raised, one per read, before answering."""

    payments: list[PaymentView] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def get(self, payment_id: uuid.UUID) -> PaymentView | None:
        self._maybe_fail()
        return next((p for p in self.payments if p.id == payment_id), None)

    def for_order(self, order_id: uuid.UUID) -> PaymentView | None:
        self._maybe_fail()
        return next((p for p in self.payments if p.order_id == order_id), None)

    def page(
        self,
        *,
        limit: int,
        page: int = 1,
        after: Position | None = None,
        status: PaymentStatus | None = None,
    ) -> Page[PaymentView]:
        self._maybe_fail()
        self.calls.append({"page": page, "limit": limit, "status": status})
        found = [p for p in self.payments if status in (None, p.status)]
        return _window(found, page, limit, after)

    def stats(self) -> list[StatusTotal]:
        """Like the real one: every status in the enum's order, zero for statuses nobody is in."""
        self._maybe_fail()
        return [self._total(status) for status in PaymentStatus]

    def statuses(
        self, since: datetime | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID, PaymentStatus, datetime]]:
        self._maybe_fail()
        kept = [p for p in self.payments if since is None or p.created_at >= since]
        return [(p.id, p.order_id, p.status, p.updated_at) for p in kept]

    def releases_owed(self) -> tuple[int, float | None]:
        """Nothing is owed in the fake (only the sweeper owes releases, and it is not part of it)."""
        self._maybe_fail()
        return 0, None

    def owed_since(self, payment_id: uuid.UUID | None = None) -> dict[uuid.UUID, datetime]:
        """Nothing is owed in the fake."""
        self._maybe_fail()
        return {}

    def history(self, payment_id: uuid.UUID) -> list[Change]:
        """The fake keeps no history (the gateway never reads it)."""
        self._maybe_fail()
        return []

    def _total(self, status: PaymentStatus) -> StatusTotal:
        amounts = [p.amount for p in self.payments if p.status == status]
        return StatusTotal(status, len(amounts), sum(amounts, Decimal("0.00")))

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)


@dataclass
class FakeCommandStore:
    """app.gateway.CommandStore in memory with the SQL store's semantics: one row per command carrying its
    one event, (api_key_id, idempotency_key) unique when a key is given, whatever the command's kind;
    while `unavailable` is set every call raises it."""

    rows: list[tuple[Command, Envelope]] = field(default_factory=list)
    unavailable: Exception | None = None

    @property
    def commands(self) -> list[Command]:
        return [command for command, _ in self.rows]

    @property
    def events(self) -> list[Envelope]:
        return [event for _, event in self.rows]

    def recorded_events(self) -> list[Event]:
        """The events as a consumer reads them off the bus."""
        return [read_message(event.to_json().encode()).event for event in self.events]

    def record(self, command: Command, event: Envelope) -> Command:
        self._maybe_fail()
        key = command.idempotency_key
        earlier = None if key is None else self.find(key, command.api_key_id, command.request_hash)
        if earlier is not None:
            return earlier
        self.rows.append((command, event))
        return command

    def find(self, idempotency_key: str, api_key_id: str, request_hash: str | None) -> Command | None:
        self._maybe_fail()
        scope = (api_key_id, idempotency_key)
        return next((c for c in self.commands if (c.api_key_id, c.idempotency_key) == scope), None)

    def order_was_accepted(self, order_id: uuid.UUID) -> bool:
        self._maybe_fail()
        return any(c.order_id == order_id and c.kind == "create_order" for c in self.commands)

    def _maybe_fail(self) -> None:
        if self.unavailable is not None:
            raise self.unavailable


@dataclass
class FakeGateway:
    """Every double the gateway is built with in unit tests."""

    orders: FakeOrderQueries = field(default_factory=FakeOrderQueries)
    payments: FakePaymentQueries = field(default_factory=FakePaymentQueries)
    commands: FakeCommandStore = field(default_factory=FakeCommandStore)
    readiness: dict[str, str] = field(
        default_factory=lambda: {"database": "ok", "broker": "ok", "migrations": "ok"}
    )

    def build(self, settings: Settings) -> Flask:
        """The app the composition root builds on these fakes (its jobs are not started)."""
        return build_gateway(settings, queries=(self.orders, self.payments), commands=self.commands).app

    def deps(self) -> GatewayDeps:
        """The same fakes plus a fake readiness check, for create_app: build_gateway always checks the
        real database and broker, which unit tests must not reach."""
        return GatewayDeps(self.orders, self.payments, self.commands, lambda: dict(self.readiness))
