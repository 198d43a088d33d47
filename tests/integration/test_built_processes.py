"""The gateway and both workers as app.bootstrap builds them, run in this process on PostgreSQL (each as
its own database role) and RabbitMQ: an accepted order travels the whole way to PAID, then CANCELLED."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from app import bus
from app.bootstrap import Worker, build_gateway, build_worker
from app.config import Settings
from app.jobs import Background
from app.orders import OrderQueries
from app.payments import PaymentQueries
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
APPROVED_TOTAL = 10.01  # the simulated provider approves amounts ending in .01
RELAY_POLL_S = 3.0


@dataclass(frozen=True)
class System:
    """The gateway's HTTP client and the two workers, whose inboxes the test drains."""

    client: FlaskClient
    orders: Worker
    payments: Worker
    engine: Engine

    def settle(self, order_id: uuid.UUID, status: str) -> None:
        """Drain both inboxes until the order is in `status` (the relays run in the background)."""

        def reached() -> bool:
            self.payments.consumer.drain(idle_s=0.1)
            self.orders.consumer.drain(idle_s=0.1)
            order = OrderQueries(self.engine).get(order_id)
            return order is not None and order.status == status

        wait_until(reached, timeout=30, what=f"order {order_id} to become {status}")

    def payment_status(self, order_id: uuid.UUID) -> str | None:
        payment = PaymentQueries(self.engine).for_order(order_id)
        return None if payment is None else payment.status.value


@pytest.fixture
def system(database_url: str, role_prefix: str, broker_url: str, engine: Engine) -> Iterator[System]:
    yield from _built(database_url, role_prefix, broker_url, engine)


@pytest.fixture
def slow_polling_system(
    monkeypatch: pytest.MonkeyPatch, database_url: str, role_prefix: str, broker_url: str, engine: Engine
) -> Iterator[System]:
    """As built, but with relays that poll for unwoken rows only every RELAY_POLL_S."""
    monkeypatch.setattr(bus, "OutboxRelay", functools.partial(bus.OutboxRelay, idle_wait_s=RELAY_POLL_S))
    yield from _built(database_url, role_prefix, broker_url, engine)


def _built(database_url: str, role_prefix: str, broker_url: str, engine: Engine) -> Iterator[System]:
    settings = Settings.from_env(
        {
            "PAYFLOW_DATABASE_URL": database_url,
            "PAYFLOW_DATABASE_ROLE_PREFIX": role_prefix,
            "PAYFLOW_BROKER_URL": broker_url,
            "PAYFLOW_PAYMENT_LATENCY_MS": "0",
            "PAYFLOW_ORDERS_METRICS_PORT": "0",
            "PAYFLOW_PAYMENTS_METRICS_PORT": "0",
            "PAYFLOW_LOG_FORMAT": "text",
        }
    )
    gateway = build_gateway(settings)
    orders, payments = build_worker(settings, "orders"), build_worker(settings, "payments")
    background = Background([*gateway.jobs, *orders.jobs, *payments.jobs])  # relays, sweeper, purges
    try:
        yield System(gateway.app.test_client(), orders, payments, engine)
    finally:
        background.shutdown()


def test_an_accepted_order_is_paid_then_cancelled_and_refunded_through_the_built_processes(
    system: System,
) -> None:
    accepted = system.client.post("/api/orders", json={"userId": USER, "total": APPROVED_TOTAL})
    order_id = uuid.UUID(accepted.get_json()["orderId"])
    system.settle(order_id, "PAID")
    paid = system.payment_status(order_id)

    cancelling = system.client.patch(f"/api/orders/{order_id}/cancel")
    system.settle(order_id, "CANCELLED")

    assert (accepted.status_code, cancelling.status_code) == (202, 202)
    assert paid == "APPROVED"
    assert system.payment_status(order_id) == "REFUNDED"


def test_the_built_processes_wake_their_relays_after_each_commit_not_at_their_idle_poll(
    slow_polling_system: System,
) -> None:
    system = slow_polling_system
    warm_up = system.client.post("/api/orders", json={"userId": USER, "total": APPROVED_TOTAL})
    system.settle(uuid.UUID(warm_up.get_json()["orderId"]), "PAID")  # every relay has run and now idles

    started = time.monotonic()
    accepted = system.client.post("/api/orders", json={"userId": USER, "total": APPROVED_TOTAL})
    system.settle(uuid.UUID(accepted.get_json()["orderId"]), "PAID")

    # Two relay hops (order.created from the gateway, payment.approved from payments): waiting for either
    # relay's poll instead of its wake-up would take most of RELAY_POLL_S.
    assert time.monotonic() - started < RELAY_POLL_S / 2
