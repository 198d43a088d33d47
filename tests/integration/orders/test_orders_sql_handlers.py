"""Orders handlers on PostgreSQL: schema, idempotency, retries and racing events."""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select

from app.contracts import (
    Envelope,
    NotYetApplicable,
    OrderCancelled,
    OrderCreated,
    PaymentApproved,
    PaymentDeclined,
)
from app.orders import SqlOrdersUnitOfWork, get_order, order_handlers
from app.orders.tables import order_history, processed_events
from tests.integration.orders.racing import run_together

pytestmark = pytest.mark.integration

TOTAL = Decimal("19.99")


def created(order_id: uuid.UUID) -> Envelope:
    return OrderCreated(order_id, uuid.uuid4(), TOTAL).to_envelope("corr-orders")


def approved(order_id: uuid.UUID) -> Envelope:
    return PaymentApproved(uuid.uuid4(), order_id, TOTAL).to_envelope("corr-orders")


def apply(engine: Engine, *envelopes: Envelope) -> None:
    handlers = order_handlers(lambda: SqlOrdersUnitOfWork(engine))
    for envelope in envelopes:
        handlers[envelope.type](envelope)


def status_of(engine: Engine, order_id: uuid.UUID) -> str | None:
    with engine.connect() as conn:
        view = get_order(conn, order_id)
    return None if view is None else view.status


def history_of(engine: Engine, order_id: uuid.UUID) -> list[tuple[str | None, str, str | None]]:
    query = (
        select(order_history.c.from_status, order_history.c.to_status, order_history.c.reason)
        .where(order_history.c.order_id == order_id)
        .order_by(order_history.c.id)
    )
    with engine.connect() as conn:
        return [(row[0], row[1], row[2]) for row in conn.execute(query)]


def test_migrations_create_every_orders_table_and_index(migrated_engine: Engine) -> None:
    inspector = inspect(migrated_engine)

    tables = set(inspector.get_table_names(schema="orders"))
    indexes = {index["name"] for index in inspector.get_indexes("orders", schema="orders")}

    assert {"orders", "order_history", "processed_events"} <= tables
    assert {"ix_orders_created", "ix_orders_status_created", "ix_orders_user_created"} <= indexes


def test_duplicate_envelopes_are_applied_once(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    create, approve = created(order_id), approved(order_id)

    apply(migrated_engine, create, create, approve, approve)

    assert status_of(migrated_engine, order_id) == "PAID"
    assert history_of(migrated_engine, order_id) == [(None, "PENDING", None), ("PENDING", "PAID", None)]


def test_every_state_change_is_explained_in_the_history(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    decline = PaymentDeclined(uuid.uuid4(), order_id, TOTAL, "card_declined").to_envelope("corr-orders")

    apply(
        migrated_engine,
        created(order_id),
        decline,
        OrderCancelled(order_id).to_envelope("c"),
        approved(order_id),
    )

    assert status_of(migrated_engine, order_id) == "FAILED"
    assert history_of(migrated_engine, order_id) == [
        (None, "PENDING", None),
        ("PENDING", "FAILED", "card_declined"),
    ]


def test_an_event_before_its_order_is_rolled_back_and_applies_on_retry(migrated_engine: Engine) -> None:
    order_id = uuid.uuid4()
    early = approved(order_id)
    with pytest.raises(NotYetApplicable):
        apply(migrated_engine, early)
    with migrated_engine.connect() as conn:
        claimed = conn.execute(
            select(processed_events).where(processed_events.c.event_id == early.id)
        ).first()

    apply(migrated_engine, created(order_id), early)

    assert claimed is None
    assert status_of(migrated_engine, order_id) == "PAID"


def test_a_cancel_racing_an_approval_always_ends_cancelled(migrated_engine: Engine) -> None:
    order_ids = [uuid.uuid4() for _ in range(20)]
    for order_id in order_ids:
        apply(migrated_engine, created(order_id))

    for order_id in order_ids:
        run_together(
            functools.partial(apply, migrated_engine, approved(order_id)),
            functools.partial(apply, migrated_engine, OrderCancelled(order_id).to_envelope("c")),
        )

    assert {status_of(migrated_engine, order_id) for order_id in order_ids} == {"CANCELLED"}
