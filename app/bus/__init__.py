"""Messaging and its delivery guarantees: topology, outbox relay, consumers with retry and dead letters."""

from app.bus.admin import broker_problem, declare_topology_at
from app.bus.backlog import OutboxBacklog, outbox_backlog
from app.bus.broker import connect
from app.bus.consumer import QueueWorker
from app.bus.dead_letters import DeadLetter, list_dead_letters, replay_dead_letters
from app.bus.failures import BROKER_FAILURES
from app.bus.metrics import refresh_outbox_gauges
from app.bus.publisher import KombuPublisher
from app.bus.relay import OutboxRelay
from app.bus.republish import mark_for_republish, purge_published
from app.bus.ticker import run_periodically
from app.bus.topology import OUTBOX_EXCHANGES, ROLE_QUEUES, declare_topology, queue_depths
from app.bus.worker_http import WorkerProbes, open_worker_http, serve_until, worker_wsgi_app

__all__ = [
    "BROKER_FAILURES",
    "OUTBOX_EXCHANGES",
    "ROLE_QUEUES",
    "DeadLetter",
    "KombuPublisher",
    "OutboxBacklog",
    "OutboxRelay",
    "QueueWorker",
    "WorkerProbes",
    "broker_problem",
    "connect",
    "declare_topology",
    "declare_topology_at",
    "list_dead_letters",
    "mark_for_republish",
    "open_worker_http",
    "outbox_backlog",
    "purge_published",
    "queue_depths",
    "refresh_outbox_gauges",
    "replay_dead_letters",
    "run_periodically",
    "serve_until",
    "worker_wsgi_app",
]
