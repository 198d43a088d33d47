"""The payments read side: plain frozen views and per-status totals, never rows or ORM objects."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, bindparam, func, select

from app.payments.domain import PaymentStatus
from app.payments.tables import payment_history, payment_totals, payments, releases_owed
from app.persistence import (
    Change,
    Connects,
    Page,
    Position,
    newest_first,
    page_parameters,
    read_history,
    read_one,
    read_page,
    read_with_retry,
)


@dataclass(frozen=True)
class PaymentView:
    """One payment as readers see it; `reason` says why it was declined, failed or cancelled."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    status: PaymentStatus
    reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StatusTotal:
    """How many payments are in a status and how much money they hold."""

    status: PaymentStatus
    count: int
    total_amount: Decimal


class PaymentQueries:
    """Reads on the engine given (in the gateway, its read router); each call takes its own connection."""

    def __init__(self, engine: Connects) -> None:
        self._engine = engine

    def get(self, payment_id: uuid.UUID) -> PaymentView | None:
        return read_one(self._engine, payments, "id", payment_id, _view)

    def for_order(self, order_id: uuid.UUID) -> PaymentView | None:
        return read_one(self._engine, payments, "order_id", order_id, _view)

    def history(self, payment_id: uuid.UUID) -> list[Change]:
        """Every change of the payment's status, oldest first, with the provider's reasons."""
        return read_history(self._engine, payment_history, "payment_id", payment_id)

    def page(
        self,
        *,
        limit: int,
        page: int = 1,
        after: Position | None = None,
        status: PaymentStatus | None = None,
    ) -> Page[PaymentView]:
        """Newest first, by page number or after a position; the total comes from payment_totals."""
        params = {"status": status} | page_parameters(page, limit, after)
        return read_page(self._engine, _listing(status is not None, after is not None), params, _view)

    def stats(self) -> list[StatusTotal]:
        """Count and amount for every status, in the enum's order (zero for statuses nobody is in)."""
        rows = read_with_retry(self._engine, lambda conn: conn.execute(select(*payment_totals.c)).all())
        found = {row.status: (int(row.n), Decimal(row.amount)) for row in rows}
        return [
            StatusTotal(status, *found.get(status.value, (0, Decimal("0.00")))) for status in PaymentStatus
        ]

    def releases_owed(self) -> tuple[int, float | None]:
        """How many releases the sweeper still owes at the provider, and for how long (s) the oldest."""
        age = func.extract("epoch", func.now() - func.min(releases_owed.c.owed_since))
        query = select(func.count(), age)
        count, oldest = read_with_retry(self._engine, lambda conn: conn.execute(query).one())
        return int(count), None if oldest is None else float(oldest)

    def owed_since(self, payment_id: uuid.UUID | None = None) -> dict[uuid.UUID, datetime]:
        """Since when a release at the provider is owed, by order id (see `releases_owed`): for every
        payment, or for the one given."""
        query = select(releases_owed.c.order_id, releases_owed.c.owed_since)
        if payment_id is not None:
            query = query.where(releases_owed.c.payment_id == payment_id)
        rows = read_with_retry(self._engine, lambda conn: conn.execute(query).all())
        return {row.order_id: row.owed_since for row in rows}

    def statuses(
        self, since: datetime | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID, PaymentStatus, datetime]]:
        """(id, order id, status, last change) of every payment, or of those created at or after `since`."""
        query = select(payments.c.id, payments.c.order_id, payments.c.status, payments.c.updated_at)
        if since is not None:
            query = query.where(payments.c.created_at >= since)
        rows = read_with_retry(self._engine, lambda conn: conn.execute(query).all())
        return [(row.id, row.order_id, PaymentStatus(row.status), row.updated_at) for row in rows]


@functools.cache
def _listing(by_status: bool, keyset: bool) -> tuple[Select[Any], Select[Any]]:
    status = bindparam("status", type_=payments.c.status.type)
    matching = [payments.c.status == status] if by_status else []
    by_counted_status = [payment_totals.c.status == status] if by_status else []
    counted = select(func.coalesce(func.sum(payment_totals.c.n), 0)).where(*by_counted_status)
    return newest_first(payments, matching, counted, keyset=keyset), counted


def _view(row: RowMapping) -> PaymentView:
    fields = {name: row[name] for name in PaymentView.__dataclass_fields__}
    return PaymentView(**fields | {"status": PaymentStatus(row["status"])})
