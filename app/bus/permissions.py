"""Least privilege on the broker: what each process role may touch, read off the topology it uses."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.bus.entities import DEAD_LETTERS
from app.bus.topology import OUTBOX_EXCHANGES, Topology, inbox_name
from app.contracts import EVENT_TYPES, exchange_of

# RabbitMQ checks a publish to the default exchange ("", where retry copies go) against this name.
DEFAULT_EXCHANGE = "amq.default"
NOTHING = "^$"


def exactly(names: Iterable[str]) -> str:
    """A permission pattern matching exactly `names` (RabbitMQ matches patterns anywhere in a name)."""
    unique = sorted(set(names))
    return f"^({'|'.join(re.escape(name) for name in unique)})$" if unique else NOTHING


@dataclass(frozen=True)
class Grant:
    """What one process role's broker user may do on its vhost. It declares nothing (setup does, as
    the administrator), so it may configure nothing and cannot delete or rebind what it uses."""

    writes: tuple[str, ...]  # exchanges it publishes to
    reads: tuple[str, ...]  # queues it consumes
    topics: Mapping[str, tuple[str, ...]]  # topic exchange -> the routing keys it may publish with

    @property
    def permissions(self) -> tuple[str, str, str]:
        """The configure, write and read patterns, in `rabbitmqctl set_permissions` order."""
        return NOTHING, exactly(self.writes), exactly(self.reads)

    @property
    def topic_permissions(self) -> dict[str, tuple[str, str]]:
        """Topic exchange -> its write and read patterns on routing keys."""
        return {exchange: (exactly(keys), NOTHING) for exchange, keys in self.topics.items()}


def carried_by(exchange: str) -> tuple[str, ...]:
    """The routing keys (event types) of every contract published to `exchange`."""
    return tuple(sorted({kind.TYPE for kind in EVENT_TYPES.values() if exchange_of(kind) == exchange}))


def grant_of(role: str, topology: Topology) -> Grant:
    """A role that relays an outbox writes its exchange with the event types that exchange carries; a
    role that consumes an inbox reads it and writes the paths its failed messages take: its retry
    queues through the default exchange, its dead-letter queue through the dead-letter exchange."""
    exchange = OUTBOX_EXCHANGES.get(role)
    relays = {exchange: carried_by(exchange)} if exchange else {}
    queue = inbox_name(role)
    consumes = (queue,) if queue in topology.inboxes else ()
    settles = (DEFAULT_EXCHANGE, DEAD_LETTERS.name) if consumes else ()
    return Grant(writes=(*relays, *settles), reads=consumes, topics=relays)
