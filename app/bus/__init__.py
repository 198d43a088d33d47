"""Messaging and its guarantees: topology, outbox relays, batch consumers, retries and dead letters."""

from app.bus.broker import (
    BROKER_FAILURES,
    broker_problem,
    connect,
    declare_topology_at,
)
from app.bus.consumer import BatchConsumer
from app.bus.dead_letters import DeadLetter, list_dead_letters, replay_dead_letters
from app.bus.metrics import refresh_release_gauges
from app.bus.migration import MigrationRefused, migrate_topology_at
from app.bus.outbox import (
    OutboxBacklog,
    absent_events,
    mark_for_republish,
    outbox_backlog,
    purge_published,
    refresh_outbox_gauges,
)
from app.bus.permissions import grant_of
from app.bus.queue_gauges import QueueGauges
from app.bus.relay import OutboxRelay
from app.bus.role_users import make_role_users
from app.bus.session import Batching
from app.bus.settlement import RetryPolicy
from app.bus.topology import OUTBOX_EXCHANGES, Topology, TopologyMismatch, inbox_name, unrouted
from app.bus.worker_http import WorkerProbes, worker_wsgi_app
