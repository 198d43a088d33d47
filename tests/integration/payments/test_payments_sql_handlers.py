"""Payments handlers on PostgreSQL: schema, idempotency, and create racing cancel for one order."""

from __future__ import annotations

import functools
import uuid

import pytest
from sqlalchemy import Engine, inspect, select

from app.payments.tables import payment_history, payments
from tests.integration.orders.racing import run_together
from tests.integration.payments.sql_payments import cancelled, created, deliver, events_of, status_of
from tests.unit.payments.fake_payments import FakePaymentGateway

pytestmark = pytest.mark.integration


def test_migrations_create_every_payments_table_and_index(migrated_engine: Engine) -> None:
    inspector = inspect(migrated_engine)

    tables = set(inspector.get_table_names(schema="payments"))
    indexes = {index["name"] for index in inspector.get_indexes("payments", schema="payments")}

    assert {"payments", "payment_history", "cancelled_orders", "outbox", "processed_events"} <= tables
    assert {"ix_payments_created", "ix_payments_status_created", "ix_payments_processing_updated"} <= indexes


def test_duplicate_envelopes_charge_once_and_announce_once(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    create, cancel = created(order_id), cancelled(order_id)

    deliver(migrated_engine, provider, create, create, cancel, cancel)

    assert status_of(migrated_engine, order_id) == ("REFUNDED", "order_cancelled")
    assert len(provider.charges) == 1
    assert len(provider.refunds) == 1
    assert events_of(migrated_engine, order_id) == [
        ("payment.approved", f"corr-{order_id}"),
        ("payment.refunded", "corr-cancel"),
    ]


def test_a_cancel_before_the_order_reaches_payments_never_charges(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()

    deliver(migrated_engine, provider, cancelled(order_id), created(order_id), created(order_id))

    assert status_of(migrated_engine, order_id) == ("CANCELLED", "order_cancelled_before_payment")
    assert provider.charges == []
    assert [event for event, _ in events_of(migrated_engine, order_id)] == ["payment.cancelled"]


def test_create_racing_cancel_always_ends_with_no_money_kept(migrated_engine: Engine) -> None:
    provider = FakePaymentGateway()
    order_ids = [uuid.uuid4() for _ in range(25)]

    for order_id in order_ids:
        run_together(
            functools.partial(deliver, migrated_engine, provider, created(order_id)),
            functools.partial(deliver, migrated_engine, provider, cancelled(order_id)),
        )

    with migrated_engine.connect() as conn:
        rows = conn.execute(
            select(payments.c.id, payments.c.status).where(payments.c.order_id.in_(order_ids))
        ).all()
    assert len(rows) == len(order_ids)
    assert {status for _, status in rows} <= {"CANCELLED", "REFUNDED"}
    assert set(provider.charges) == {payment_id for payment_id, _ in provider.refunds}


def test_a_cancel_landing_during_the_charge_cancels_and_refunds_the_late_approval(
    migrated_engine: Engine,
) -> None:
    order_id = uuid.uuid4()
    provider = FakePaymentGateway()
    provider.during_charge = functools.partial(deliver, migrated_engine, provider, cancelled(order_id))

    deliver(migrated_engine, provider, created(order_id))

    assert status_of(migrated_engine, order_id) == ("CANCELLED", "order_cancelled")
    assert {payment_id for payment_id, _ in provider.refunds} == set(provider.charges)
    assert "late_approval_voided" in history_reasons(migrated_engine, order_id)


def history_reasons(engine: Engine, order_id: uuid.UUID) -> list[str | None]:
    ours = select(payments.c.id).where(payments.c.order_id == order_id).scalar_subquery()
    query = select(payment_history.c.reason).where(payment_history.c.payment_id == ours)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(payment_history.c.id)).scalars())
