"""One-shot broker operations by URL: declare the topology, probe reachability."""

from __future__ import annotations

from collections.abc import Sequence

from app.bus.broker import broker_errors, connect
from app.bus.topology import declare_topology

PROBE_TIMEOUT_S = 2


def declare_topology_at(broker_url: str, retry_delays_ms: Sequence[int]) -> None:
    """Connect (retrying briefly), declare every exchange, queue and binding, disconnect."""
    with connect(broker_url) as connection:
        connection.ensure_connection(max_retries=3)
        declare_topology(connection, retry_delays_ms)


def broker_problem(broker_url: str) -> str | None:
    """None when the broker accepts a connection now, else a one-line reason without credentials."""
    with connect(broker_url) as connection:
        try:
            connection.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_S)
        except broker_errors(connection) as exc:
            return f"unreachable: {type(exc).__name__}"
    return None
