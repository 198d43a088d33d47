"""The broker topology, derived from what each module handles: exchanges, inboxes, retries, dead letters."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from amqp.exceptions import PreconditionFailed
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from app.bus.entities import (
    DEAD_LETTERS,
    UNROUTABLE,
    UNROUTABLE_QUEUE,
    dead_letter_queue,
    events_exchange,
    inbox_queue,
    retry_queue,
    unconsumed_queue,
)
from app.contracts import EVENT_TYPES, Event, exchange_of

# The schema whose outbox each relay publishes, and the exchange it publishes to.
OUTBOX_EXCHANGES = {"gateway": "gateway.events", "payments": "payments.events"}


class TopologyMismatch(Exception):
    """The broker holds exchanges or queues of these names declared with other arguments (an older
    payflow's classic queues, say): redeclaring them is refused, so the operator has to migrate."""

    def __init__(self, refused: dict[str, str]) -> None:
        self.refused = refused
        names, example = ", ".join(refused), next(iter(refused.values()))
        super().__init__(
            f"the broker already has {names} declared differently ({example}). Stop every payflow process,"
            " then run `payflow topology --migrate`: it moves their messages into the new queues, losing"
            " none (README: Migrating to quorum queues)"
        )


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
        retries = [
            retry_queue(retry_queue_name(queue, delay), queue, delay)
            for delay in sorted(set(self.retry_delays_ms))
        ]
        return [inbox_queue(queue, self.bindings(queue)), dead_letter_queue(queue), *retries]

    def entities(self, extra_queues: Iterable[str] = ()) -> list[Exchange | Queue]:
        """Everything to declare, in order: a queue's declare also declares the exchanges it is bound to."""
        relayed = [events_exchange(name) for name in sorted(OUTBOX_EXCHANGES.values())]  # even if unbound
        families = [entity for queue in [*self.inboxes, *extra_queues] for entity in self.family(queue)]
        return [UNROUTABLE, UNROUTABLE_QUEUE, DEAD_LETTERS, *relayed, *families, self.unconsumed()]

    def unconsumed(self) -> Queue:
        """The sink of the contract events a relay publishes that no module handles yet (payment.refunded,
        say): dropped on purpose, as before, so that payflow.unroutable only ever holds a mistake."""
        bound = {pair for queue in self.inboxes for pair in self.bindings(queue)}
        relayed = {(exchange_of(kind), kind.TYPE) for kind in EVENT_TYPES.values()}
        return unconsumed_queue(
            sorted(pair for pair in relayed - bound if pair[0] in OUTBOX_EXCHANGES.values())
        )

    def declare(self, connection: Connection, extra_queues: Iterable[str] = ()) -> None:
        """Declare every exchange, queue and binding (and queue families of `extra_queues`); idempotent.
        A queue's declare also declares the exchanges it is bound to. Without `declares`, check that each
        exchange and queue exists (a missing one raises NotFound, a failure callers retry). TopologyMismatch,
        after trying them all, when the broker refused some for their arguments."""
        refused: dict[str, str] = {}
        with connection.channel() as channel:
            for entity in self.entities(extra_queues):
                try:
                    _declare(entity, channel, self.declares)
                except PreconditionFailed as exc:  # the broker closed the channel; py-amqp reopened it
                    refused.setdefault(str(entity.name), str(exc.reply_text))
        if refused:
            raise TopologyMismatch(refused)

    def depths(self, connection: Connection) -> dict[str, int]:
        """Ready messages per queue of the topology, read with passive declares (nothing is created)."""
        queues = [UNROUTABLE_QUEUE, *(entity for queue in self.inboxes for entity in self.family(queue))]
        with connection.channel() as channel:
            return {
                str(entity.name): int(entity(channel).queue_declare(passive=True).message_count)
                for entity in queues
            }


def _declare(entity: Exchange | Queue, channel: Any, declares: bool) -> None:
    if declares:
        entity(channel).declare()
    elif isinstance(entity, Exchange):
        entity(channel).declare(passive=True)
    else:
        entity(channel).queue_declare(passive=True)


def unrouted(topology: Topology, queue: str, kinds: Iterable[type[Event]]) -> list[type[Event]]:
    """The event types among `kinds` that no binding of `queue` from an exchange a relay publishes to
    would deliver: a handler for one of them would never run."""
    relayed = set(OUTBOX_EXCHANGES.values())
    bound = {(exchange, key) for exchange, key in topology.bindings(queue) if exchange in relayed}
    return [kind for kind in kinds if (exchange_of(kind), kind.TYPE) not in bound]
