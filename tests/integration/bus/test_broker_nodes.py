"""A broker URL listing several nodes: relays and readiness move past the nodes that are down."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from app.bus import OutboxRelay, broker_problem
from app.bus.broker import PROBE_TIMEOUT_S
from tests.integration.bus.conftest import Observer, Outbox
from tests.support.system import free_port

pytestmark = pytest.mark.integration


def down_nodes_then(live_url: str, down: int = 2) -> str:
    """`down` nodes nobody listens on, with the live node's user and vhost, then the live node."""
    parts = urlsplit(live_url)
    where = f"{parts.username}:{parts.password}@127.0.0.1"
    dead = [parts._replace(netloc=f"{where}:{free_port()}").geturl() for _ in range(down)]
    return ";".join([*dead, live_url])


def test_a_relay_whose_first_nodes_are_down_publishes_every_row_on_the_next_node(
    outbox: Outbox, broker_url: str, observe: Callable[[str], Observer]
) -> None:
    envelopes = outbox.append(3)
    observer = observe(outbox.exchange)
    relay = OutboxRelay(outbox.engine, outbox.table, down_nodes_then(broker_url), topology=None)

    relayed = relay.drain_once()

    assert relayed == 3
    assert outbox.unpublished() == 0
    assert [m.properties["message_id"] for m in observer.take(3)] == [str(e.id) for e in envelopes]


def test_the_broker_is_ready_while_any_listed_node_accepts_and_not_when_none_does(broker_url: str) -> None:
    listed = down_nodes_then(broker_url, down=3)
    only_down = listed.rsplit(";", 1)[0]

    assert broker_problem(listed) is None
    assert broker_problem(only_down) is not None


@pytest.fixture
def silent_node() -> Iterator[int]:
    """A port whose listener completes TCP handshakes but never says a word, as a hung node would."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield listener.getsockname()[1]


def test_readiness_answers_within_its_probe_time_when_a_listed_node_hangs(
    broker_url: str, silent_node: int
) -> None:
    parts = urlsplit(broker_url)
    hung = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{silent_node}").geturl()
    started = time.monotonic()

    problem = broker_problem(f"{hung};{broker_url}")

    assert (problem, time.monotonic() - started < PROBE_TIMEOUT_S + 0.5) == (None, True)
