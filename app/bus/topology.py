"""The broker topology, derived from what each module handles: exchanges, inboxes, retries, dead letters."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kombu.connection import Connection
from kombu.entity import Exchange, Queue, binding

from app.contracts import Event, exchange_of

DEAD_LETTERS = Exchange("payflow.dead-letters", type="direct", durable=True)
# The schema whose outbox each relay publishes, and the exchange it publishes to.
OUTBOX_EXCHANGES = {"gateway": "gateway.events", "payments": "payments.events"}


def inbox_name(role: str) -> str:
    return f"{role}.inbox"


def retry_queue_name(queue: str, delay_ms: int) -> str:
    return f"{queue}.retry.{delay_ms}"


@dataclass(frozen=True)
class Topology:
    """Every inbox queue and the event types it is bound to; the bindings are derived, never listed."""

    inboxes: Mapping[str, frozenset[type[Event]]]
    retry_delays_ms: tuple[int, ...]
    # False for a process logged in as its role's broker user: it may configure nothing, so `declare`
    # only checks (passive declares, which need no permission) that setup declared everything.
    declares: bool = True

    def bindings(self, queue: str) -> list[tuple[str, str]]:
        """(exchange, routing key) of every event type the queue's module handles."""
        return sorted({(exchange_of(kind), kind.TYPE) for kind in self.inboxes.get(queue, frozenset())})

    def family(self, queue: str) -> list[Queue]:
        """The queue, its dead-letter queue and one retry queue per distinct delay."""
        bound = [binding(Exchange(name, type="topic"), routing_key=key) for name, key in self.bindings(queue)]
        arguments = {"x-dead-letter-exchange": DEAD_LETTERS.name, "x-dead-letter-routing-key": queue}
        main = Queue(queue, bindings=bound or None, durable=True, queue_arguments=arguments)
        retries = (_retry_queue(queue, delay) for delay in sorted(set(self.retry_delays_ms)))
        return [main, dead_letter_queue(queue), *retries]

    def declare(self, connection: Connection, extra_queues: Iterable[str] = ()) -> None:
        """Declare every exchange, queue and binding (and queue families of `extra_queues`); idempotent.
        A queue's declare also declares its exchange and those of its bindings. Without `declares`, check
        that each exchange and queue exists (a missing one raises NotFound, a failure callers retry)."""
        with connection.channel() as channel:
            for name in sorted(OUTBOX_EXCHANGES.values()):  # relayed to even when nothing is bound yet
                Exchange(name, type="topic", durable=True)(channel).declare(passive=not self.declares)
            if not self.declares:
                DEAD_LETTERS(channel).declare(passive=True)
            for queue in [*self.inboxes, *extra_queues]:
                for entity in self.family(queue):
                    if self.declares:
                        entity(channel).declare()
                    else:
                        entity(channel).queue_declare(passive=True)

    def depths(self, connection: Connection) -> dict[str, int]:
        """Ready messages per queue of the topology, read with passive declares (nothing is created)."""
        with connection.channel() as channel:
            return {
                entity.name: int(entity(channel).queue_declare(passive=True).message_count)
                for queue in self.inboxes
                for entity in self.family(queue)
            }


def dead_letter_queue(queue: str) -> Queue:
    return Queue(f"{queue}.dead-letters", DEAD_LETTERS, routing_key=queue, durable=True)


def _retry_queue(queue: str, delay_ms: int) -> Queue:
    """Holds a message `delay_ms`, then the broker sends it back to `queue` via the default exchange."""
    arguments = {"x-message-ttl": delay_ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
    return Queue(retry_queue_name(queue, delay_ms), durable=True, queue_arguments=arguments)


def unrouted(topology: Topology, queue: str, kinds: Iterable[type[Event]]) -> list[type[Event]]:
    """The event types among `kinds` that no binding of `queue` from an exchange a relay publishes to
    would deliver: a handler for one of them would never run."""
    relayed = set(OUTBOX_EXCHANGES.values())
    bound = {(exchange, key) for exchange, key in topology.bindings(queue) if exchange in relayed}
    return [kind for kind in kinds if (exchange_of(kind), kind.TYPE) not in bound]
