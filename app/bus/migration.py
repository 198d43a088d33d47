"""Moving a broker from an older payflow's topology (classic queues) to this one without losing a message."""

import contextlib
import logging
from typing import Any

from amqp.exceptions import NotFound, PreconditionFailed
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from app.bus import settlement
from app.bus.broker import connect, open_connection, take
from app.bus.entities import holding_queue
from app.bus.publisher import ConfirmingPublisher
from app.bus.topology import Topology

log = logging.getLogger(__name__)


class MigrationRefused(Exception):
    """Migrating now could lose or reorder work (a consumer is still attached): nothing was changed."""


def migrate_topology_at(broker_url: str, topology: Topology) -> list[str]:
    with connect(broker_url) as connection:
        return migrate(open_connection(connection, rounds=4), topology)


def migrate(connection: Connection, topology: Topology) -> list[str]:
    """Declare `topology`, first replacing every exchange and queue the broker holds with other arguments;
    the names replaced. A queue's messages go to a holding queue, each acked only once the broker
    confirmed its copy, then into the queue declared anew: a crash anywhere leaves every message in one
    of the two (perhaps in both: consumers deduplicate), and running it again finishes the move.

    Each operation the broker may refuse runs on a channel of its own: a refusal closes only that channel."""
    entities = topology.entities()
    stale = [entity for entity in entities if _refused(connection, entity)]
    queues = [entity for entity in stale if isinstance(entity, Queue)]
    if busy := [str(queue.name) for queue in queues if _counts(connection, queue).consumer_count]:
        raise MigrationRefused(f"{', '.join(busy)} still have consumers: stop every payflow worker first")
    for exchange in (entity for entity in stale if isinstance(entity, Exchange)):
        # An exchange keeps no messages; the queues' declares below bind them to the new one again.
        with connection.channel() as channel:
            exchange(channel).delete()
        log.info("exchange %s deleted, to be declared again", exchange.name)
    # Retry queues first: their expiring messages must find the old inbox, never a missing one.
    for queue in sorted(queues, key=lambda queue: ".retry." not in str(queue.name)):
        moved = _move(connection, str(queue.name), holding_queue(str(queue.name)))
        # Refused (the channel closes) if a message or a consumer arrived meanwhile, so nothing is lost
        # (quorum queues would refuse these conditions, so holding queues are checked apart).
        with connection.channel() as channel:
            queue(channel).delete(if_unused=True, if_empty=True)
        log.info("queue %s: %d message(s) held, queue deleted, to be declared again", queue.name, moved)
    topology.declare(connection)
    for queue in (entity for entity in entities if isinstance(entity, Queue)):
        _restore(connection, str(queue.name))
    return [str(entity.name) for entity in stale]


def _refused(connection: Connection, entity: Exchange | Queue) -> bool:
    """Whether the broker refuses to declare `entity` alone (a queue without its bindings) as it is."""
    declare = entity.declare if isinstance(entity, Exchange) else entity.queue_declare
    try:
        with connection.channel() as channel:
            declare(channel=channel)
    except PreconditionFailed:
        return True
    return False


def _counts(connection: Connection, queue: Queue) -> Any:
    """The queue's passive declare: its message and consumer counts (NotFound when it does not exist)."""
    with connection.channel() as channel:
        return queue(channel).queue_declare(passive=True)


def _restore(connection: Connection, name: str) -> None:
    """Empty the holding queue of `name`, if a migration left one, into `name`; then delete it."""
    holding = holding_queue(name)
    try:
        _counts(connection, holding)
    except NotFound:
        return
    moved = _move(connection, str(holding.name), Queue(name, no_declare=True))
    if int(_counts(connection, holding).message_count) == 0:  # only this migration writes to it
        with connection.channel() as channel:
            holding(channel).delete()
    log.info("queue %s: %d message(s) restored from %s", name, moved, holding.name)


def _move(connection: Connection, source_name: str, target: Queue) -> int:
    """Every message waiting in `source_name` into `target`, through the default exchange, each acked after
    the broker confirmed its copy; headers and ids kept. How many."""
    with connection.channel() as channel, contextlib.closing(ConfirmingPublisher(connection)) as publisher:
        target(channel).declare()
        source, moved = Queue(source_name, no_declare=True)(channel), 0
        for message in take(source):
            settlement.publish_copy(publisher, message, "", str(target.name), message.headers or {})
            publisher.confirm()
            message.ack()
            moved += 1
        return moved
