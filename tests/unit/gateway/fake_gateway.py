"""In-memory doubles for the gateway's ports: read sides, command store and an engine that never connects."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine

from app.contracts import Envelope
from app.gateway import Command, GatewayDeps, OrderReads, PaymentReads

T = TypeVar("T")
CREATED = datetime(2026, 2, 15, 1, 42, 19, tzinfo=UTC)
UPDATED = datetime(2026, 2, 15, 1, 42, 21, 500000, tzinfo=UTC)


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    user_id: uuid.UUID
    total: Decimal
    status: str
    created_at: datetime = CREATED
    updated_at: datetime = UPDATED


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    status: str
    reason: str | None = None
    created_at: datetime = CREATED
    updated_at: datetime = UPDATED


@dataclass(frozen=True)
class Listing(Generic[T]):
    items: list[T]
    total: int


@dataclass(frozen=True)
class StatusTotal:
    status: str
    count: int
    total_amount: Decimal


@dataclass
class FakeOrderReads:
    orders: list[Order] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def get_order(self, conn: Connection, order_id: uuid.UUID) -> Order | None:
        self._maybe_fail()
        return next((o for o in self.orders if o.id == order_id), None)

    def list_orders(
        self,
        conn: Connection,
        *,
        page: int,
        limit: int,
        status: str | None = None,
        user_id: uuid.UUID | None = None,
    ) -> Listing[Order]:
        self._maybe_fail()
        self.calls.append({"page": page, "limit": limit, "status": status, "user_id": user_id})
        found = [o for o in self.orders if status in (None, o.status) and user_id in (None, o.user_id)]
        return Listing(found[(page - 1) * limit : page * limit], len(found))

    def is_cancellable(self, status: str) -> bool:
        return status in {"PENDING", "PAID"}

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)


@dataclass
class FakePaymentReads:
    payments: list[Payment] = field(default_factory=list)
    stats: list[StatusTotal] = field(default_factory=list)

    def get_payment(self, conn: Connection, payment_id: uuid.UUID) -> Payment | None:
        return next((p for p in self.payments if p.id == payment_id), None)

    def get_payment_for_order(self, conn: Connection, order_id: uuid.UUID) -> Payment | None:
        return next((p for p in self.payments if p.order_id == order_id), None)

    def list_payments(
        self, conn: Connection, *, page: int, limit: int, status: str | None = None
    ) -> Listing[Payment]:
        found = [p for p in self.payments if status in (None, p.status)]
        return Listing(found[(page - 1) * limit : page * limit], len(found))

    def payment_stats(self, conn: Connection) -> list[StatusTotal]:
        return self.stats


@dataclass
class FakeCommandStore:
    """Keeps commands and their events in lists, with the SQL store's key semantics."""

    commands: list[Command] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    unavailable: Exception | None = None

    def record(self, command: Command, events: Sequence[Envelope]) -> Command:
        if self.unavailable is not None:
            raise self.unavailable
        earlier = self.find(command.kind, command.idempotency_key) if command.idempotency_key else None
        if earlier is not None:
            return earlier
        self.commands.append(command)
        self.events.extend(events)
        return command

    def find(self, kind: str, idempotency_key: str) -> Command | None:
        return next(
            (c for c in self.commands if (c.kind, c.idempotency_key) == (kind, idempotency_key)), None
        )

    def order_was_accepted(self, order_id: uuid.UUID) -> bool:
        return any(c.order_id == order_id and c.kind == "create_order" for c in self.commands)


class FakeEngine:
    """Hands out placeholder connections: the fake read sides never use them (the reads only switch
    the driver connection to autocommit and back)."""

    def __init__(self) -> None:
        self.connections = 0

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        self.connections += 1
        driver = SimpleNamespace(autocommit=False, closed=False)
        yield cast(Connection, SimpleNamespace(connection=SimpleNamespace(dbapi_connection=driver)))


@dataclass
class FakeGateway:
    """Every double create_app is wired with in unit tests."""

    orders: FakeOrderReads = field(default_factory=FakeOrderReads)
    payments: FakePaymentReads = field(default_factory=FakePaymentReads)
    commands: FakeCommandStore = field(default_factory=FakeCommandStore)
    engine: FakeEngine = field(default_factory=FakeEngine)
    readiness: dict[str, str] = field(
        default_factory=lambda: {"database": "ok", "broker": "ok", "migrations": "ok"}
    )

    def deps(self) -> GatewayDeps:
        return GatewayDeps(
            engine=cast(Engine, self.engine),
            orders=OrderReads(
                get=self.orders.get_order,
                list=self.orders.list_orders,
                is_cancellable=self.orders.is_cancellable,
            ),
            payments=PaymentReads(
                get=self.payments.get_payment,
                for_order=self.payments.get_payment_for_order,
                list=self.payments.list_payments,
                stats=self.payments.payment_stats,
            ),
            readiness=lambda: dict(self.readiness),
            commands=self.commands,
        )
