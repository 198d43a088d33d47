"""Every payments worker down past the payment deadline: the charge in flight is made again, not failed."""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from app.orders.domain import OrderStatus
from app.payments.domain import PaymentStatus
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
DEADLINE_S = 6
# The charge takes a second: long enough to kill the worker while it waits, short of the deadline.
ENV = {"PAYFLOW_PAYMENT_LATENCY_MS": "1000", "PAYFLOW_PAYMENT_DEADLINE_S": str(DEADLINE_S)}


@pytest.fixture
def stack() -> Iterator[tuple[RunningSystem, Engine]]:
    with (
        fresh_database("payflow_outage") as db,
        fresh_vhost("payflow-outage") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        running = RunningSystem(system_env(db, vhost, **ENV), Path(logs))
        running.setup()
        running.start_all()
        engine = create_engine(db)
        try:
            yield running, engine
        finally:
            engine.dispose()
            exit_codes = running.stop_all()
        assert exit_codes == {"gateway": 0, "orders": 0, "payments": 0}, exit_codes


def payment_row(engine: Engine, order_id: str) -> Any:
    """The order's payment: its status, and for how many seconds it has not changed (database clock)."""
    query = "SELECT status, extract(epoch FROM now() - updated_at) AS idle_s FROM payments.payments"
    with engine.connect() as conn:
        return conn.execute(text(f"{query} WHERE order_id = :id"), {"id": order_id}).first()


def test_a_payment_whose_worker_died_mid_charge_is_charged_again_when_a_worker_returns_after_its_deadline(
    stack: tuple[RunningSystem, Engine],
) -> None:
    system, engine = stack
    reply = system.api.post("/orders", {"userId": "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f", "total": 30.01})
    assert reply.status == 202, reply.body  # 30.01: the simulated provider approves it
    order_id = str(reply.body["orderId"])
    opened = wait_until(lambda: payment_row(engine, order_id), timeout=30, what="the payment to be opened")
    assert opened.status == "PROCESSING"

    assert system.stop("payments", signal.SIGKILL) == -signal.SIGKILL  # while the provider is being asked
    idle = wait_until(
        lambda: (row := payment_row(engine, order_id)).idle_s > DEADLINE_S + 1 and row,
        timeout=30,
        what="the payment to be PROCESSING for longer than the deadline",
    )
    assert idle.status == "PROCESSING"
    system.start("payments")

    def ended() -> tuple[str, str] | None:
        order, payment = system.api.get(f"/orders/{order_id}"), system.api.get(f"/payments/order/{order_id}")
        pair = (order.body["status"], payment.body["status"])
        return pair if pair[0] != OrderStatus.PENDING and pair[1] != PaymentStatus.PROCESSING else None

    assert wait_until(ended, timeout=30, what="the order and its payment to end") == ("PAID", "APPROVED")
    assert payment_row(engine, order_id).status == "APPROVED"
