"""A payment result applied while order.created commits in between its two statements (found by fault 7)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.contracts import NotYetApplicable, OrderCreated, PaymentApproved
from app.orders import OrderStatus, SqlOrdersUnitOfWork, order_handlers
from app.orders.tables import orders, processed_events
from app.orders.unit_of_work import Applied

pytestmark = pytest.mark.integration


class StoresTheOrderRightAfterTheMove(SqlOrdersUnitOfWork):
    """Commits order.created (on another connection) just after this transaction's move missed the row."""

    def __init__(self, engine: Engine, create: Any) -> None:
        super().__init__(engine)
        self._create = create

    def move_order(self, *args: Any, **kwargs: Any) -> Applied:
        applied = super().move_order(*args, **kwargs)
        self._create()
        return applied


def test_a_payment_result_missing_an_order_stored_meanwhile_is_retried_not_swallowed(
    migrated_engine: Engine,
) -> None:
    order_id = uuid.uuid4()
    create = OrderCreated(order_id, uuid.uuid4(), Decimal("10.05")).to_envelope("race")
    approve = PaymentApproved(uuid.uuid4(), order_id, Decimal("10.05")).to_envelope("race")
    store = order_handlers(lambda: SqlOrdersUnitOfWork(migrated_engine))[create.type]
    racing = order_handlers(lambda: StoresTheOrderRightAfterTheMove(migrated_engine, lambda: store(create)))

    with pytest.raises(NotYetApplicable):
        racing[approve.type](approve)
    order_handlers(lambda: SqlOrdersUnitOfWork(migrated_engine))[approve.type](approve)  # the redelivery

    with migrated_engine.connect() as conn:
        status = conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar()
        claims = conn.execute(
            select(processed_events.c.event_id).where(processed_events.c.event_id == approve.id)
        )
        assert (status, len(claims.all())) == (OrderStatus.PAID.value, 1)
