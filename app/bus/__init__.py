"""Messaging and its delivery guarantees: topology, outbox relay, consumers with retry and dead letters."""

from app.bus.admin import broker_problem, declare_topology_at
from app.bus.broker import connect
from app.bus.consumer import QueueWorker
from app.bus.dead_letters import DeadLetter, list_dead_letters, replay_dead_letters
from app.bus.publisher import KombuPublisher
from app.bus.relay import OutboxRelay
from app.bus.republish import mark_for_republish, purge_published
from app.bus.ticker import run_periodically
from app.bus.topology import OUTBOX_EXCHANGES, ROLE_QUEUES, declare_topology, queue_depths

__all__ = [
    "OUTBOX_EXCHANGES",
    "ROLE_QUEUES",
    "DeadLetter",
    "KombuPublisher",
    "OutboxRelay",
    "QueueWorker",
    "broker_problem",
    "connect",
    "declare_topology",
    "declare_topology_at",
    "list_dead_letters",
    "mark_for_republish",
    "purge_published",
    "queue_depths",
    "replay_dead_letters",
    "run_periodically",
]
