"""The create, pay and cancel flows in-process: both modules' handlers on Kombu's memory transport."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from kombu.connection import Connection

from app.bus import OUTBOX_EXCHANGES, ROLE_QUEUES, KombuPublisher, QueueWorker, connect, declare_topology
from app.bus.topology import retry_queue_name
from app.contracts import Event, OrderCancelled, OrderCreated
from app.orders import OrderStatus, order_handlers
from app.payments import ChargeResult, PaymentStatus, payment_handlers
from tests.unit.orders.fake_orders import OrdersState
from tests.unit.orders.fake_orders import fake_uow_factory as orders_uow
from tests.unit.payments.fake_payments import FakePaymentGateway, PaymentsState
from tests.unit.payments.fake_payments import fake_uow_factory as payments_uow

MEMORY = "memory://"
DELAYS = (10,)


@dataclass
class InProcessSystem:
    """Both modules on fakes, wired through the real topology on the in-memory transport."""

    connection: Connection
    orders: OrdersState
    payments: PaymentsState
    provider: FakePaymentGateway

    def send(self, event: Event) -> None:
        """What the gateway's relay does with an accepted command."""
        self._publish(OUTBOX_EXCHANGES["gateway"], event)

    def settle(self) -> None:
        """Deliver until quiet: drain both queues and relay the payments outbox between passes."""
        for _ in range(10):
            moved = self._worker("orders").drain(0.05) + self._worker("payments").drain(0.05)
            moved += self._relay_payments_outbox() + self._expire_retries()
            if not moved:
                return
        raise AssertionError("the flow did not settle within 10 passes")

    def _relay_payments_outbox(self) -> int:
        pending, self.payments.outbox = self.payments.outbox, []
        for event, _ in pending:
            self._publish(OUTBOX_EXCHANGES["payments"], event)
        return len(pending)

    def _expire_retries(self) -> int:
        """What RabbitMQ's per-queue TTL does (the memory transport has none): retried messages return."""
        channel, moved = self.connection.default_channel, 0
        for queue in ROLE_QUEUES.values():
            while (message := channel.basic_get(retry_queue_name(queue, DELAYS[0]), no_ack=True)) is not None:
                KombuPublisher(channel).publish(
                    message.body, exchange="", routing_key=queue, headers=message.headers
                )
                moved += 1
        return moved

    def _publish(self, exchange: str, event: Event) -> None:
        envelope = event.to_envelope("flow-test")
        publisher = KombuPublisher(self.connection.default_channel)
        publisher.publish(envelope.to_json(), exchange=exchange, routing_key=envelope.type)

    def _worker(self, role: str) -> QueueWorker:
        handlers = (
            order_handlers(orders_uow(self.orders))
            if role == "orders"
            else payment_handlers(payments_uow(self.payments), self.provider)
        )
        return QueueWorker(
            MEMORY, ROLE_QUEUES[role], handlers, concurrency=2, max_attempts=3, retry_delays_ms=DELAYS
        )


@pytest.fixture
def system() -> Iterator[InProcessSystem]:
    with connect(MEMORY) as connection:
        declare_topology(connection, DELAYS)
        for queue in ROLE_QUEUES.values():
            for name in (queue, retry_queue_name(queue, DELAYS[0])):
                connection.default_channel.queue_purge(name)
        yield InProcessSystem(connection, OrdersState(), PaymentsState(), FakePaymentGateway())


def _order(total: str = "999.00") -> OrderCreated:
    return OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal(total))


def test_an_approved_order_ends_paid_with_one_approved_payment(system: InProcessSystem) -> None:
    order = _order()

    system.send(order)
    system.settle()

    assert system.orders.statuses[order.order_id] is OrderStatus.PAID
    assert system.payments.payments[order.order_id].status is PaymentStatus.APPROVED
    assert len(system.provider.charges) == 1


def test_a_declined_payment_fails_the_order(system: InProcessSystem) -> None:
    system.provider.answer = ChargeResult(PaymentStatus.DECLINED, "card_declined")
    order = _order()

    system.send(order)
    system.settle()

    assert system.orders.statuses[order.order_id] is OrderStatus.FAILED
    assert system.payments.payments[order.order_id].status is PaymentStatus.DECLINED


def test_cancelling_a_paid_order_refunds_its_payment(system: InProcessSystem) -> None:
    order = _order()
    system.send(order)
    system.settle()

    system.send(OrderCancelled(order.order_id))
    system.settle()

    assert system.orders.statuses[order.order_id] is OrderStatus.CANCELLED
    assert system.payments.payments[order.order_id].status is PaymentStatus.REFUNDED
    assert system.provider.refunds == [(system.payments.payments[order.order_id].id, order.total)]


def test_a_cancel_that_overtakes_creation_charges_nothing(system: InProcessSystem) -> None:
    order = _order()

    system.send(OrderCancelled(order.order_id))
    system.send(order)
    system.settle()

    assert system.orders.statuses[order.order_id] is OrderStatus.CANCELLED
    assert system.payments.payments[order.order_id].status is PaymentStatus.CANCELLED
    assert system.provider.charges == []


def test_a_duplicated_creation_event_makes_one_payment_and_charges_only_its_id(
    system: InProcessSystem,
) -> None:
    order = _order()
    envelope = order.to_envelope("dup")
    publisher = KombuPublisher(system.connection.default_channel)

    for _ in range(2):
        publisher.publish(envelope.to_json(), exchange=OUTBOX_EXCHANGES["gateway"], routing_key=envelope.type)
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert system.orders.statuses[order.order_id] is OrderStatus.PAID
    assert payment.status is PaymentStatus.APPROVED
    # Duplicates handled at the same moment may both ask; the provider is idempotent per payment id.
    assert set(system.provider.charges) == {payment.id}
