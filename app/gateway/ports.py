"""What the gateway needs from the modules' read sides and from its command store, as small Protocols."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine

from app.contracts import Envelope


class OrderRow(Protocol):
    """One order as the orders module's read side returns it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class PaymentRow(Protocol):
    """One payment as the payments module's read side returns it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def order_id(self) -> uuid.UUID: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    """One page of rows and the number of rows across all pages."""

    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def total(self) -> int: ...


class StatusTotalRow(Protocol):
    """How many payments are in a status and how much they add up to."""

    @property
    def status(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def total_amount(self) -> Decimal: ...


class ListOrders(Protocol):
    """`app.orders.list_orders`: one page of orders, newest first, optionally filtered."""

    def __call__(
        self,
        conn: Connection,
        *,
        page: int,
        limit: int,
        status: str | None = None,
        user_id: uuid.UUID | None = None,
    ) -> Page[OrderRow]: ...


class ListPayments(Protocol):
    """`app.payments.list_payments`: one page of payments, newest first, optionally by status."""

    def __call__(
        self, conn: Connection, *, page: int, limit: int, status: str | None = None
    ) -> Page[PaymentRow]: ...


@dataclass(frozen=True)
class OrderReads:
    """The orders module's query functions the gateway answers GETs and cancel checks with."""

    get: Callable[[Connection, uuid.UUID], OrderRow | None]
    list: ListOrders
    is_cancellable: Callable[[str], bool]


@dataclass(frozen=True)
class PaymentReads:
    """The payments module's query functions the gateway answers GETs with."""

    get: Callable[[Connection, uuid.UUID], PaymentRow | None]
    for_order: Callable[[Connection, uuid.UUID], PaymentRow | None]
    list: ListPayments
    stats: Callable[[Connection], Sequence[StatusTotalRow]]


@dataclass(frozen=True)
class Command:
    """A command the gateway accepted, with the exact response it gave (replayed for a repeated key)."""

    id: uuid.UUID
    kind: str
    order_id: uuid.UUID
    idempotency_key: str | None
    request_hash: str
    response_status: int
    response_body: dict[str, Any]


class CommandStore(Protocol):
    """The gateway's own table of accepted commands, written together with their events."""

    def record(self, command: Command, events: Sequence[Envelope]) -> Command:
        """Store command and events atomically; when its key was used before, return that earlier command."""
        ...

    def find(self, kind: str, idempotency_key: str) -> Command | None: ...
    def order_was_accepted(self, order_id: uuid.UUID) -> bool: ...


@dataclass(frozen=True)
class GatewayDeps:
    """Everything the HTTP edge is wired with; `commands` defaults to the SQL store on `engine`."""

    engine: Engine
    orders: OrderReads
    payments: PaymentReads
    readiness: Callable[[], dict[str, str]]
    commands: CommandStore | None = None
    # sha256 digests of the accepted API keys; empty means authentication is off.
    api_key_hashes: tuple[str, ...] = ()
