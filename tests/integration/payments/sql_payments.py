"""Delivering envelopes to the payments handlers on PostgreSQL, and reading back what they did."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Engine, select

from app.contracts import Envelope, OrderCancelled, OrderCreated
from app.payments import SqlPaymentsUnitOfWork, get_payment_for_order, payment_handlers
from app.payments.tables import outbox
from tests.unit.payments.fake_payments import FakePaymentGateway

AMOUNT = Decimal("64.10")


def created(order_id: uuid.UUID) -> Envelope:
    return OrderCreated(order_id, uuid.uuid4(), AMOUNT).to_envelope(f"corr-{order_id}")


def cancelled(order_id: uuid.UUID) -> Envelope:
    return OrderCancelled(order_id).to_envelope("corr-cancel")


def deliver(engine: Engine, provider: FakePaymentGateway, *envelopes: Envelope) -> None:
    handlers = payment_handlers(lambda: SqlPaymentsUnitOfWork(engine), provider)
    for envelope in envelopes:
        handlers[envelope.type](envelope)


def status_of(engine: Engine, order_id: uuid.UUID) -> tuple[str, str | None]:
    with engine.connect() as conn:
        view = get_payment_for_order(conn, order_id)
    assert view is not None
    return view.status, view.reason


def events_of(engine: Engine, order_id: uuid.UUID) -> list[tuple[str, str]]:
    query = select(outbox.c.event_type, outbox.c.correlation_id).where(outbox.c.body.contains(str(order_id)))
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query.order_by(outbox.c.seq))]
