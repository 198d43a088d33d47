"""Talking to RabbitMQ the same way everywhere: connecting, recognising its failures, backing off."""

import contextlib
import functools
import itertools
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from amqp.exceptions import AMQPError
from kombu.connection import Connection
from kombu.exceptions import OperationalError

from app.bus.topology import Topology
from app.config.broker_nodes import SEPARATOR

log = logging.getLogger(__name__)

HEARTBEAT_S = 30
CONNECT_TIMEOUT_S = 5
PROBE_TIMEOUT_S = 2
MEMORY_POLLING_INTERVAL_S = 0.002
# What callers outside app.bus catch without importing kombu: an unreachable broker (kombu gave up), a
# refused operation such as a passive declare of a missing queue (AMQPError), or the socket failing.
BROKER_FAILURES: tuple[type[Exception], ...] = (OperationalError, AMQPError, OSError)


class Backoff:
    """Reconnect delays that double from `initial` up to `cap`; `reset` after a success."""

    def __init__(self, initial: float = 0.2, cap: float = 5.0) -> None:
        self._initial, self._cap, self._next = initial, cap, initial

    def next(self) -> float:
        delay, self._next = self._next, min(self._cap, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self._initial


def first_node(broker_url: str) -> str:
    """The first node's URL of a broker URL that may list several, separated by ';'."""
    return broker_url.split(SEPARATOR, 1)[0]


def connect(
    broker_url: str, connect_timeout_s: float = CONNECT_TIMEOUT_S, io_timeout_s: float | None = None
) -> Connection:
    """A connection, not opened yet, to RabbitMQ or to kombu's in-memory transport (unit tests). A URL may
    list several nodes of one broker, separated by ';' (as PAYFLOW_BROKER_URL is checked to do): kombu then
    moves to the next node in turn whenever connecting to one fails or hangs for `connect_timeout_s`. With
    `io_timeout_s`, a read or write on the open connection gives up after that long."""
    if urlsplit(broker_url).scheme in ("amqp", "amqps", "pyamqp"):
        io = {"read_timeout": io_timeout_s, "write_timeout": io_timeout_s} if io_timeout_s else {}
        return Connection(
            broker_url,
            heartbeat=HEARTBEAT_S,
            connect_timeout=connect_timeout_s,
            failover_strategy="round-robin",
            transport_options=io,
        )
    return Connection(broker_url, transport_options={"polling_interval": MEMORY_POLLING_INTERVAL_S})


def open_connection(connection: Connection, *, rounds: int = 1, timeout: float | None = None) -> Connection:
    """Connect to the first node that accepts, trying each node of the list once per round (no pause
    within a round, a growing one between rounds); raises the last node's failure when none accepted."""
    nodes = max(1, len(connection.alt))
    connection.ensure_connection(max_retries=rounds * nodes - 1, timeout=timeout)
    return connection


def drain_ready(connection: Connection, limit: int) -> None:
    """Dispatch up to `limit` deliveries (and any heartbeats) already received, without waiting."""
    with contextlib.suppress(TimeoutError):
        for _ in range(limit):
            connection.drain_events(timeout=0)


def declare_topology_at(broker_url: str, topology: Topology) -> None:
    with connect(broker_url) as connection:
        topology.declare(open_connection(connection, rounds=4))


def probe(broker_url: str, io_timeout_s: float | None = None) -> Connection:
    """A connection for a quick look: each node gets its share of PROBE_TIMEOUT_S, so one that hangs
    leaves time for the next."""
    return connect(broker_url, PROBE_TIMEOUT_S / len(broker_url.split(SEPARATOR)), io_timeout_s)


def broker_problem(broker_url: str) -> str | None:
    """None when the broker accepts a connection now, else a one-line reason without credentials."""
    with probe(broker_url) as connection:
        try:
            open_connection(connection, timeout=PROBE_TIMEOUT_S)
        except BROKER_FAILURES as exc:
            return f"unreachable: {type(exc).__name__}"
    return None


def take(source: Any, limit: int | None = None) -> Iterator[Any]:
    """The queue's messages, got one at a time unacknowledged, until it is empty (or `limit` were got)."""
    return itertools.islice(iter(functools.partial(source.get, no_ack=False), None), limit)
