"""Opening broker connections the same way everywhere: confirms on AMQP, fast polling in memory."""

from __future__ import annotations

from urllib.parse import urlsplit

from kombu.connection import Connection
from kombu.exceptions import OperationalError

AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")
HEARTBEAT_S = 30
CONNECT_TIMEOUT_S = 5
MEMORY_POLLING_INTERVAL_S = 0.005


def is_amqp(broker_url: str) -> bool:
    """True for a real RabbitMQ URL; False for kombu's in-memory transport used by unit tests."""
    return urlsplit(broker_url).scheme in AMQP_SCHEMES


def connect(broker_url: str, *, heartbeat: int = HEARTBEAT_S, confirm_each: bool = True) -> Connection:
    """A connection (not yet opened) whose publishes wait for the broker's confirm when it can give one.

    `confirm_each=False` leaves confirms to the caller (BatchPublisher waits once per batch).
    """
    if is_amqp(broker_url):
        # The memory transport has no publisher confirms: only AMQP gets them.
        options = {"confirm_publish": confirm_each}
        return Connection(
            broker_url, transport_options=options, heartbeat=heartbeat, connect_timeout=CONNECT_TIMEOUT_S
        )
    return Connection(broker_url, transport_options={"polling_interval": MEMORY_POLLING_INTERVAL_S})


def broker_errors(connection: Connection) -> tuple[type[BaseException], ...]:
    """Exceptions meaning "the broker or the link to it failed", worth a reconnect rather than a crash."""
    return (*connection.connection_errors, *connection.channel_errors, OperationalError, OSError)
