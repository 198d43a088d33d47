"""What each exchange and queue of the topology is: quorum queues, their limits, the alternate exchange."""

from typing import Any

from kombu.entity import Exchange, Queue, binding

QUORUM: dict[str, Any] = {"x-queue-type": "quorum"}
DEAD_LETTERS = Exchange("payflow.dead-letters", type="direct", durable=True)
# Where an exchange a relay publishes to sends what no binding of it matches, and the queue keeping it.
UNROUTABLE = Exchange("payflow.unroutable", type="fanout", durable=True)
UNROUTABLE_QUEUE = Queue("payflow.unroutable", UNROUTABLE, durable=True, queue_arguments=QUORUM)
UNCONSUMED_QUEUE = "payflow.unconsumed"
# Returns of one message to its queue (a consumer's connection lost before the ack, a worker killed) after
# which the broker dead-letters it. The worker counts its own attempts and dead-letters first, with its
# reason; this only ends a message that kills its worker before the worker can say anything.
DELIVERY_LIMIT = 20
# The source queue keeps a dead-lettered message until the target queue confirmed it (RabbitMQ >= 3.10),
# which the broker only does for quorum queues that refuse new messages rather than drop old ones.
AT_LEAST_ONCE: dict[str, Any] = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def events_exchange(name: str) -> Exchange:
    """A producer's topic exchange (`<producer>.events`); what it cannot route goes to UNROUTABLE."""
    return Exchange(name, type="topic", durable=True, arguments={"alternate-exchange": UNROUTABLE.name})


def inbox_queue(queue: str, bindings: list[tuple[str, str]]) -> Queue:
    """A module's inbox: quorum, bound to (exchange, routing key) pairs, dead-lettering to its DLQ."""
    bound = [binding(events_exchange(name), routing_key=key) for name, key in bindings]
    arguments = {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-dead-letter-exchange": DEAD_LETTERS.name,
        "x-dead-letter-routing-key": queue,
        "x-delivery-limit": DELIVERY_LIMIT,
    }
    return Queue(queue, bindings=bound or None, durable=True, queue_arguments=arguments)


def dead_letter_queue(queue: str) -> Queue:
    return Queue(
        f"{queue}.dead-letters", DEAD_LETTERS, routing_key=queue, durable=True, queue_arguments=QUORUM
    )


def retry_queue(name: str, queue: str, delay_ms: int) -> Queue:
    """Holds a message `delay_ms`, then the broker sends it back to `queue` via the default exchange.
    Quorum like the inbox: a retry waiting here is a message the system still owes, so it is replicated,
    and handed back at least once (the inbox confirms it before the delay queue lets it go)."""
    arguments = {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-message-ttl": delay_ms,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
    }
    return Queue(name, durable=True, queue_arguments=arguments)


def unconsumed_queue(bindings: list[tuple[str, str]]) -> Queue:
    """Bound to events published on purpose that nothing consumes; holds none (length 0, drop-head).
    Quorum like every queue the topology declares: a classic queue lives on one node, and while that node
    is down every declaration of it fails (404, home node down), so no client could (re)connect anywhere."""
    bound = [binding(events_exchange(name), routing_key=key) for name, key in bindings]
    arguments = {**QUORUM, "x-max-length": 0}
    return Queue(UNCONSUMED_QUEUE, bindings=bound or None, durable=True, queue_arguments=arguments)


def holding_queue(queue: str) -> Queue:
    """Where a migration keeps a queue's messages while the queue is declared again with new arguments."""
    return Queue(f"{queue}.migrating", durable=True, queue_arguments=QUORUM)
