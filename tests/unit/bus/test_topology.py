"""The broker topology is derived from what the modules handle: every handled event reaches its inbox."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pytest

from app import bootstrap
from app.bus import OUTBOX_EXCHANGES, Topology, connect, inbox_name, unrouted
from app.bus.entities import DELIVERY_LIMIT
from app.bus.publisher import ConfirmingPublisher
from app.config import Settings
from app.contracts import Event, OrderCreated, PaymentApproved, exchange_of
from tests.unit.bus.memory_broker import MemoryBroker

SETTINGS = Settings.from_env({"PAYFLOW_BROKER_URL": "memory://"})


@dataclass(frozen=True)
class ShipmentDispatched(Event):
    """An event of a producer that has no outbox, so no relay ever publishes it."""

    TYPE: ClassVar[str] = "shipment.dispatched"
    PRODUCER: ClassVar[str] = "shipping"

    def to_payload(self) -> dict[str, Any]:
        return {"orderId": str(self.order_id)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls(uuid.UUID(payload["orderId"]))


@pytest.mark.parametrize("role", bootstrap.ROLES)
def test_every_event_a_module_handles_is_routed_to_its_inbox(role: str) -> None:
    handled = bootstrap.HANDLED[role]

    missing = unrouted(bootstrap.topology(SETTINGS), inbox_name(role), handled)

    assert handled
    assert missing == []


@pytest.mark.parametrize("role", bootstrap.ROLES)
def test_an_inbox_is_bound_to_exactly_the_events_its_module_handles(role: str) -> None:
    expected = sorted((exchange_of(kind), kind.TYPE) for kind in bootstrap.HANDLED[role])

    bindings = bootstrap.topology(SETTINGS).bindings(inbox_name(role))

    assert bindings == expected


def test_every_module_role_has_an_inbox_and_nothing_else_does() -> None:
    inboxes = set(bootstrap.topology(SETTINGS).inboxes)

    assert inboxes == {inbox_name(role) for role in bootstrap.ROLES}


def test_an_event_whose_producer_has_no_relayed_exchange_is_reported_unrouted() -> None:
    topology = Topology({"shipping-test.inbox": frozenset({OrderCreated, ShipmentDispatched})}, (10,))

    missing = unrouted(topology, "shipping-test.inbox", [OrderCreated, ShipmentDispatched])

    assert exchange_of(ShipmentDispatched) not in OUTBOX_EXCHANGES.values()
    assert ("shipping.events", "shipment.dispatched") in topology.bindings("shipping-test.inbox")
    assert missing == [ShipmentDispatched]


def test_an_event_the_inbox_is_not_bound_to_is_reported_unrouted() -> None:
    topology = bootstrap.topology(SETTINGS)

    missing = unrouted(topology, inbox_name("payments"), [OrderCreated, PaymentApproved])

    assert missing == [PaymentApproved]


@pytest.mark.parametrize("role", bootstrap.ROLES)
def test_a_worker_is_built_for_every_role_on_its_inbox(role: str) -> None:
    worker = bootstrap.build_worker(SETTINGS, role)

    assert worker.consumer.queue == inbox_name(role)


@pytest.mark.parametrize(("concurrency", "runners"), [(300, bootstrap.PAYMENT_BATCHES), (10, 10)])
def test_a_payments_worker_holds_its_concurrency_in_flight_in_batches_side_by_side(
    concurrency: int, runners: int
) -> None:
    settings = dataclasses.replace(SETTINGS, payments_concurrency=concurrency)

    payments_worker = bootstrap.build_worker(settings, "payments").consumer.batching
    orders_worker = bootstrap.build_worker(settings, "orders").consumer.batching

    assert (payments_worker.parallel, payments_worker.in_flight) == (runners, concurrency)
    assert (orders_worker.parallel, orders_worker.in_flight) == (1, None)


def test_a_worker_whose_handlers_take_an_event_its_inbox_is_not_bound_to_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # build_worker takes its handlers from the module itself; narrowing what the topology believes the
    # module handles leaves one of those handlers without a binding.
    monkeypatch.setitem(bootstrap.HANDLED, "payments", frozenset({OrderCreated}))

    with pytest.raises(
        ValueError, match=r"payments\.inbox is bound to no exchange that carries order\.cancel"
    ):
        bootstrap.build_worker(SETTINGS, "payments")


def test_each_inbox_has_a_dead_letter_queue_and_one_retry_queue_per_distinct_delay() -> None:
    topology = Topology({"family-test.inbox": frozenset({OrderCreated})}, (250, 1000, 1000))

    family = {queue.name: queue for queue in topology.family("family-test.inbox")}

    assert set(family) == {
        "family-test.inbox",
        "family-test.inbox.dead-letters",
        "family-test.inbox.retry.250",
        "family-test.inbox.retry.1000",
    }
    assert family["family-test.inbox"].queue_arguments == {
        "x-queue-type": "quorum",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-dead-letter-exchange": "payflow.dead-letters",
        "x-dead-letter-routing-key": "family-test.inbox",
        "x-delivery-limit": DELIVERY_LIMIT,
    }
    assert family["family-test.inbox.retry.250"].queue_arguments == {
        "x-queue-type": "quorum",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-message-ttl": 250,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "family-test.inbox",
    }
    assert family["family-test.inbox.dead-letters"].queue_arguments == {"x-queue-type": "quorum"}


def test_declaring_the_topology_lets_an_event_reach_the_inbox_bound_to_it(broker: MemoryBroker) -> None:
    # An exchange no other test publishes to: memory state is shared by the whole test process.
    inbox = f"test-{uuid.uuid4().hex[:12]}.inbox"
    topology = Topology({inbox: frozenset({ShipmentDispatched})}, (10,))
    envelope = ShipmentDispatched(uuid.uuid4()).to_envelope("corr-ship")

    with connect("memory://") as connection:
        topology.declare(connection)
        publisher = ConfirmingPublisher(connection)
        publisher.publish(
            envelope.to_json(),
            exchange=exchange_of(ShipmentDispatched),
            routing_key=ShipmentDispatched.TYPE,
            headers={},
            message_id=str(envelope.id),
            correlation_id=envelope.correlation_id,
        )
        publisher.confirm()
        depths = topology.depths(connection)

    [arrived] = broker.take(inbox)
    assert arrived.properties["message_id"] == str(envelope.id)
    assert {name: depths[name] for name in depths if name.startswith(inbox)} == {
        inbox: 1,
        f"{inbox}.dead-letters": 0,
        f"{inbox}.retry.10": 0,
    }


def test_contract_events_a_relay_publishes_that_no_module_handles_go_to_the_length_zero_sink() -> None:
    sink = bootstrap.topology(SETTINGS).unconsumed()

    bound = {(b.exchange.name, b.routing_key) for b in sink.bindings}

    assert bound == {("payments.events", "payment.cancelled"), ("payments.events", "payment.refunded")}
    assert sink.queue_arguments == {"x-queue-type": "quorum", "x-max-length": 0}
    assert {b.exchange.arguments["alternate-exchange"] for b in sink.bindings} == {"payflow.unroutable"}
