"""The trigger-maintained order counts equal count(*) under concurrent events, deletes and a backfill."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from app.contracts import Envelope, OrderCancelled, OrderCreated, PaymentApproved, PaymentDeclined
from app.orders import SqlOrdersUnitOfWork, list_orders, order_handlers
from app.orders.tables import order_counts, orders
from app.persistence import build_engine
from app.persistence.migrations import alembic_config, upgrade_all
from tests.integration.orders.racing import run_together
from tests.support.services import fresh_database

pytestmark = pytest.mark.integration

TOTAL = Decimal("12.30")
THREADS = 8


def counted(engine: Engine) -> dict[str, int]:
    """Status -> the sum over the shards of order_counts (zero sums left out)."""
    query = select(order_counts.c.status, func.sum(order_counts.c.n)).group_by(order_counts.c.status)
    with engine.connect() as conn:
        return {status: int(n) for status, n in conn.execute(query) if n}


def ground_truth(engine: Engine) -> dict[str, int]:
    query = select(orders.c.status, func.count()).group_by(orders.c.status)
    with engine.connect() as conn:
        return {status: n for status, n in conn.execute(query)}


def results_for(order_id: uuid.UUID, index: int) -> list[Envelope]:
    """Events racing on one order: a payment result, sometimes a cancellation, and a duplicate."""
    approve = PaymentApproved(uuid.uuid4(), order_id, TOTAL).to_envelope("counts")
    decline = PaymentDeclined(uuid.uuid4(), order_id, TOTAL, "card_declined").to_envelope("counts")
    result = approve if index % 3 else decline
    cancel = OrderCancelled(order_id).to_envelope("counts")
    return [result, result, cancel] if index % 2 else [result]


@pytest.fixture
def order_ids(migrated_engine: Engine) -> Iterator[list[uuid.UUID]]:
    """Orders stored through the handler (deleted afterwards, which the counts must follow too)."""
    ids = [uuid.uuid4() for _ in range(48)]
    handlers = order_handlers(lambda: SqlOrdersUnitOfWork(migrated_engine))
    for order_id in ids:
        created = OrderCreated(order_id, uuid.uuid4(), TOTAL).to_envelope("counts")
        handlers[created.type](created)
    yield ids
    with migrated_engine.begin() as conn:
        conn.execute(orders.delete().where(orders.c.id.in_(ids)))


def test_counts_stay_exact_while_threads_move_orders_concurrently(
    migrated_engine: Engine, order_ids: list[uuid.UUID]
) -> None:
    handlers = order_handlers(lambda: SqlOrdersUnitOfWork(migrated_engine))
    events = list(itertools.chain(*(results_for(order_id, i) for i, order_id in enumerate(order_ids))))
    # Round robin: one order's result, its duplicate and its cancellation run in different threads.
    slices = [events[start::THREADS] for start in range(THREADS)]

    run_together(*(lambda work=work: [handlers[e.type](e) for e in work] for work in slices))

    assert counted(migrated_engine) == ground_truth(migrated_engine)
    still_pending = select(func.count()).where(orders.c.id.in_(order_ids), orders.c.status == "PENDING")
    with migrated_engine.connect() as conn:
        assert conn.execute(still_pending).scalar_one() == 0


def test_the_listed_total_matches_count_star_with_and_without_a_status(
    migrated_engine: Engine, order_ids: list[uuid.UUID]
) -> None:
    truth = ground_truth(migrated_engine)

    with migrated_engine.connect() as conn:
        everything = list_orders(conn, page=1, limit=5).total
        pending = list_orders(conn, page=1, limit=5, status="PENDING").total
        none_paid = list_orders(conn, page=10**6, limit=5, status="PAID").total

    assert (everything, pending, none_paid) == (sum(truth.values()), truth["PENDING"], truth.get("PAID", 0))


def test_deleting_orders_takes_them_out_of_the_counts(migrated_engine: Engine) -> None:
    before = counted(migrated_engine)
    order_id = uuid.uuid4()
    created = OrderCreated(order_id, uuid.uuid4(), TOTAL).to_envelope("counts")
    order_handlers(lambda: SqlOrdersUnitOfWork(migrated_engine))[created.type](created)

    with migrated_engine.begin() as conn:
        conn.execute(orders.delete().where(orders.c.id == order_id))

    assert counted(migrated_engine) == before == ground_truth(migrated_engine)


def test_the_migration_counts_the_orders_stored_before_it() -> None:
    with fresh_database() as url:
        engine = build_engine(url, application_name="payflow-tests")
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA orders"))
        command.upgrade(alembic_config(engine, "orders", "app.orders"), "orders_0001")
        with engine.begin() as conn:
            for status, n in (("PENDING", 3), ("PAID", 5), ("CANCELLED", 1)):
                rows = [{"id": uuid.uuid4(), "user_id": uuid.uuid4(), "total": TOTAL, "status": status}]
                conn.execute(orders.insert(), [{**rows[0], "id": uuid.uuid4()} for _ in range(n)])

        upgrade_all(engine)

        assert counted(engine) == {"PENDING": 3, "PAID": 5, "CANCELLED": 1} == ground_truth(engine)
        engine.dispose()
