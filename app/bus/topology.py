"""The broker topology, defined once: event exchanges, inbox queues, their retry and dead-letter queues."""

from __future__ import annotations

from collections.abc import Sequence

from kombu.connection import Connection
from kombu.entity import Exchange, Queue, binding

GATEWAY_EVENTS = Exchange("gateway.events", type="topic", durable=True)
PAYMENTS_EVENTS = Exchange("payments.events", type="topic", durable=True)
DEAD_LETTERS = Exchange("payflow.dead-letters", type="direct", durable=True)
EXCHANGES = (GATEWAY_EVENTS, PAYMENTS_EVENTS, DEAD_LETTERS)

ROLE_QUEUES = {"orders": "orders.inbox", "payments": "payments.inbox"}
OUTBOX_EXCHANGES = {"gateway": GATEWAY_EVENTS.name, "payments": PAYMENTS_EVENTS.name}

_ORDER_EVENTS = ("order.created", "order.cancelled")
_PAYMENT_RESULTS = ("payment.approved", "payment.declined", "payment.failed")
BINDINGS: dict[str, tuple[tuple[Exchange, str], ...]] = {
    "orders.inbox": (
        *((GATEWAY_EVENTS, key) for key in _ORDER_EVENTS),
        *((PAYMENTS_EVENTS, key) for key in _PAYMENT_RESULTS),
    ),
    "payments.inbox": tuple((GATEWAY_EVENTS, key) for key in _ORDER_EVENTS),
}


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dead-letters"


def retry_queue_name(queue: str, delay_ms: int) -> str:
    return f"{queue}.retry.{delay_ms}"


def main_queue(queue: str) -> Queue:
    """The inbox a worker consumes; rejected messages would go to its dead-letter queue."""
    arguments = {"x-dead-letter-exchange": DEAD_LETTERS.name, "x-dead-letter-routing-key": queue}
    bindings = [binding(exchange, routing_key=key) for exchange, key in BINDINGS.get(queue, ())]
    return Queue(queue, bindings=bindings or None, durable=True, queue_arguments=arguments)


def dead_letter_queue(queue: str) -> Queue:
    return Queue(dead_letter_queue_name(queue), DEAD_LETTERS, routing_key=queue, durable=True)


def retry_queue(queue: str, delay_ms: int) -> Queue:
    """Holds a message `delay_ms`, then the broker sends it back to `queue` via the default exchange."""
    arguments = {"x-message-ttl": delay_ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
    return Queue(retry_queue_name(queue, delay_ms), durable=True, queue_arguments=arguments)


def queue_family(queue: str, retry_delays_ms: Sequence[int]) -> list[Queue]:
    """The main queue, its dead-letter queue and one retry queue per distinct delay."""
    retries = [retry_queue(queue, delay) for delay in sorted(set(retry_delays_ms))]
    return [main_queue(queue), dead_letter_queue(queue), *retries]


def declare_queue(connection: Connection, queue: str, retry_delays_ms: Sequence[int]) -> None:
    """Declare one queue family (and the dead-letter exchange it needs); safe to repeat."""
    with connection.channel() as channel:
        DEAD_LETTERS(channel).declare()
        for entity in queue_family(queue, retry_delays_ms):
            entity(channel).declare()


def declare_topology(connection: Connection, retry_delays_ms: Sequence[int]) -> None:
    """Declare every exchange, queue and binding; declaring again changes nothing."""
    with connection.channel() as channel:
        for exchange in EXCHANGES:
            exchange(channel).declare()
    for queue in ROLE_QUEUES.values():
        declare_queue(connection, queue, retry_delays_ms)


def queue_depths(connection: Connection, retry_delays_ms: Sequence[int]) -> dict[str, int]:
    """Ready messages per queue of the topology, read with passive declares (nothing is created)."""
    depths = {}
    with connection.channel() as channel:
        for queue in ROLE_QUEUES.values():
            for entity in queue_family(queue, retry_delays_ms):
                _, count, _ = entity(channel).queue_declare(passive=True)
                depths[entity.name] = int(count)
    return depths
