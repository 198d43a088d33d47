"""The create, pay and cancel flows in-process: both modules on fakes, consumed by the real batch consumers
on kombu's memory transport through the topology the composition root derives."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from kombu.connection import Connection

from app import orders, payments
from app.bootstrap import ROLES, topology
from app.bus import (
    OUTBOX_EXCHANGES,
    BatchConsumer,
    Batching,
    RetryPolicy,
    Topology,
    connect,
    inbox_name,
    unrouted,
)
from app.bus.entities import dead_letter_queue
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import retry_queue_name
from app.config import Settings
from app.contracts import Envelope, Event, OrderCancelled, OrderCreated, exchange_of
from app.orders import OrderStatus
from app.payments import ChargeResult, PaymentStatus
from tests.unit.orders.fake_orders import FakeOrdersUnitOfWork, OrdersState
from tests.unit.orders.order_events import unused_engine
from tests.unit.payments.fake_payments import FakePaymentsUnitOfWork, FakeProvider, PaymentsState

SETTINGS = Settings.from_env({}, broker_url="memory://")
IDLE_S = 0.02
MAX_PASSES = 10


@dataclass
class InProcessSystem:
    """Both modules on fakes behind their own consumers, on the topology of a test's own queue names."""

    connection: Connection
    routes: Topology
    consumers: dict[str, BatchConsumer]
    orders: OrdersState
    payments: PaymentsState
    provider: FakeProvider
    sweep: Callable[[], int]
    retried: int = 0
    _publisher: ConfirmingPublisher = field(init=False)

    def __post_init__(self) -> None:
        self.routes.declare(self.connection)
        self._publisher = ConfirmingPublisher(self.connection)

    def send(self, event: Event) -> Envelope:
        """What the gateway's relay does with an accepted command's event."""
        envelope = event.to_envelope("flow-test")
        self.publish(envelope, exchange_of(type(event)))
        return envelope

    def publish(self, envelope: Envelope, exchange: str) -> None:
        self._publish(envelope.to_json(), exchange, envelope.type, {}, str(envelope.id))

    def settle(self) -> None:
        """Deliver until quiet: drain both inboxes, relay the payments outbox and bring retried messages
        back between passes. A dead-lettered message fails the test."""
        for _ in range(MAX_PASSES):
            moved = sum(consumer.drain(IDLE_S) for consumer in self.consumers.values())
            moved += self._relay_payments_outbox() + self._expire_retries()
            if not moved:
                assert self._dead_letters() == []
                return
        raise AssertionError(f"the flow did not settle within {MAX_PASSES} passes")

    def _relay_payments_outbox(self) -> int:
        """What the payments relay does with the rows of its outbox."""
        pending, self.payments.outbox = self.payments.outbox, []
        for envelope in pending:
            self.publish(envelope, OUTBOX_EXCHANGES["payments"])
        return len(pending)

    def _expire_retries(self) -> int:
        """What RabbitMQ's per-queue TTL does (the memory transport has none): retried messages return."""
        moved = 0
        for queue in self.routes.inboxes:
            for delay in set(self.routes.retry_delays_ms):
                for message in self._take(retry_queue_name(queue, delay)):
                    self._publish(message.body, "", queue, message.headers, None)
                    moved += 1
        self.retried += moved
        return moved

    def _dead_letters(self) -> list[Any]:
        return [
            message.body
            for queue in self.routes.inboxes
            for message in self._take(dead_letter_queue(queue).name)
        ]

    def _take(self, queue: str) -> list[Any]:
        taken, channel = [], self.connection.default_channel
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(message)
        return taken

    def _publish(
        self,
        body: str | bytes,
        exchange: str,
        routing_key: str,
        headers: dict[str, Any],
        message_id: str | None,
    ) -> None:
        self._publisher.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            headers=headers,
            message_id=message_id,
            correlation_id=None,
        )
        self._publisher.confirm()


def own_queues(routes: Topology, tag: str) -> Topology:
    """The topology with the inboxes renamed for one test: the memory transport's state is process-wide."""
    return Topology(
        {f"{tag}.{queue}": kinds for queue, kinds in routes.inboxes.items()}, routes.retry_delays_ms
    )


def consumer_of(routes: Topology, queue: str, module_handlers: Any, batch_size: int) -> BatchConsumer:
    batching = Batching(batch_size, SETTINGS.batch_wait_ms / 1000, parallel=1)
    policy = RetryPolicy(queue, SETTINGS.max_attempts, routes.retry_delays_ms)
    return BatchConsumer(SETTINGS.broker_url, routes, module_handlers, batching, policy)


def start_system(connection: Connection, batch_size: int) -> InProcessSystem:
    tag = uuid.uuid4().hex[:12]
    routes = own_queues(topology(SETTINGS), tag)
    queue = {role: f"{tag}.{inbox_name(role)}" for role in ROLES}
    orders_state, payments_state, provider = OrdersState(), PaymentsState(), FakeProvider()
    order_module = orders.build(unused_engine(), unit_of_work=lambda: FakeOrdersUnitOfWork(orders_state))
    payment_module = payments.build(
        unused_engine(),
        provider,
        deadline_s=SETTINGS.payment_deadline_s,
        unit_of_work=lambda: FakePaymentsUnitOfWork(payments_state),
    )
    consumers = {
        "orders": consumer_of(routes, queue["orders"], order_module.handlers, batch_size),
        "payments": consumer_of(routes, queue["payments"], payment_module.handlers, batch_size),
    }
    return InProcessSystem(
        connection, routes, consumers, orders_state, payments_state, provider, payment_module.sweep
    )


@pytest.fixture
def start() -> Iterator[Callable[[int], InProcessSystem]]:
    """Starts a system delivering up to `batch_size` messages per batch; its queues are deleted after."""
    started: list[InProcessSystem] = []
    with connect(SETTINGS.broker_url) as connection:

        def _start(batch_size: int) -> InProcessSystem:
            started.append(start_system(connection, batch_size))
            return started[-1]

        yield _start
        for system in started:
            for queue in system.routes.inboxes:
                for entity in system.routes.family(queue):
                    connection.default_channel.queue_delete(entity.name)


@pytest.fixture
def system(start: Callable[[int], InProcessSystem]) -> InProcessSystem:
    return start(SETTINGS.batch_size)


def new_order(total: str = "999.00") -> OrderCreated:
    return OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal(total))


def test_every_event_a_module_handles_reaches_its_inbox(system: InProcessSystem) -> None:
    routes = system.routes

    missing = {queue: unrouted(routes, queue, routes.inboxes[queue]) for queue in routes.inboxes}

    assert missing == {queue: [] for queue in routes.inboxes}
    assert {kind.TYPE for kinds in routes.inboxes.values() for kind in kinds} == {
        "order.created",
        "order.cancelled",
        "payment.approved",
        "payment.declined",
        "payment.failed",
    }


def test_an_approved_order_ends_paid_with_one_approved_payment(system: InProcessSystem) -> None:
    order = new_order()

    system.send(order)
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert system.orders.status_of(order.order_id) is OrderStatus.PAID
    assert payment.status is PaymentStatus.APPROVED
    assert system.provider.charged(order.order_id) == [payment.id]


@pytest.mark.parametrize(
    "answer",
    [
        ChargeResult(PaymentStatus.DECLINED, "card_declined"),
        ChargeResult(PaymentStatus.FAILED, "provider_error"),
    ],
)
def test_a_rejected_payment_fails_the_order_with_its_reason(
    system: InProcessSystem, answer: ChargeResult
) -> None:
    order = new_order()
    system.provider.answer(order.order_id, answer)

    system.send(order)
    system.settle()

    assert system.orders.status_of(order.order_id) is OrderStatus.FAILED
    assert system.orders.history_of(order.order_id)[-1].reason == answer.reason
    assert system.payments.payments[order.order_id].status is answer.status


def test_cancelling_a_paid_order_refunds_its_payment(system: InProcessSystem) -> None:
    order = new_order()
    system.send(order)
    system.settle()

    system.send(OrderCancelled(order.order_id))
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert system.orders.status_of(order.order_id) is OrderStatus.CANCELLED
    assert payment.status is PaymentStatus.REFUNDED
    assert system.provider.refunds == [(payment.id, order.total)]


def test_cancelling_an_order_the_provider_never_answered_for_cancels_its_payment(
    system: InProcessSystem,
) -> None:
    order = new_order()
    system.provider.answer(order.order_id, None)
    system.send(order)
    system.settle()

    system.send(OrderCancelled(order.order_id))
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert system.orders.status_of(order.order_id) is OrderStatus.CANCELLED
    assert payment.status is PaymentStatus.CANCELLED
    assert system.provider.refunds == [(payment.id, order.total)]


def test_a_cancel_that_overtakes_creation_charges_nothing(system: InProcessSystem) -> None:
    order = new_order()

    system.send(OrderCancelled(order.order_id))
    system.send(order)
    system.settle()

    assert system.orders.status_of(order.order_id) is OrderStatus.CANCELLED
    assert system.payments.payments[order.order_id].status is PaymentStatus.CANCELLED
    assert system.provider.charges == []


def test_a_cancel_delivered_before_its_order_exists_is_retried_until_it_applies(
    start: Callable[[int], InProcessSystem],
) -> None:
    system, order = start(1), new_order()

    system.send(OrderCancelled(order.order_id))
    system.send(order)
    system.settle()

    assert system.retried >= 1
    assert system.orders.status_of(order.order_id) is OrderStatus.CANCELLED
    assert system.payments.payments[order.order_id].status is PaymentStatus.CANCELLED
    assert system.provider.charges == []


def test_a_duplicated_creation_event_makes_one_payment_and_charges_only_its_id(
    system: InProcessSystem,
) -> None:
    order = new_order()
    envelope = order.to_envelope("dup")

    for _ in range(2):
        system.publish(envelope, exchange_of(OrderCreated))
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert system.orders.status_of(order.order_id) is OrderStatus.PAID
    assert payment.status is PaymentStatus.APPROVED
    assert set(system.provider.charged(order.order_id)) == {payment.id}
    assert len(system.orders.history_of(order.order_id)) == 2


def test_a_payment_the_provider_never_answers_is_failed_by_the_sweeper_and_fails_the_order(
    system: InProcessSystem,
) -> None:
    order = new_order()
    system.provider.answer(order.order_id, None)
    system.send(order)
    system.settle()
    system.payments.advance(SETTINGS.payment_deadline_s + 1)

    failed = system.sweep()
    system.settle()

    payment = system.payments.payments[order.order_id]
    assert failed == 1
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "provider_timeout")
    assert system.provider.refunds == [(payment.id, order.total)]
    assert system.orders.status_of(order.order_id) is OrderStatus.FAILED
    assert system.orders.history_of(order.order_id)[-1].reason == "provider_timeout"
