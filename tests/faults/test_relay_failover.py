"""Fault 10: the broker node a relay publishes on is killed -9 while orders come in; the relay goes on
with the next node of PAYFLOW_BROKER_URL that is up (here: after one that is down too)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.persistence import build_engine
from tests.faults.injection import queue_messages
from tests.faults.load import LoadGenerator
from tests.faults.outages import node_killed
from tests.support.own_rabbitmq import OwnRabbitMQ
from tests.support.own_services import OwnServices
from tests.support.services import fresh_database
from tests.support.system import RunningSystem, free_port, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults
STEP = 60  # orders posted before the kill, and after it
UNPUBLISHED = text("SELECT count(*) FROM gateway.commands WHERE published_at IS NULL")


def node_url(port: int) -> str:
    """A node's URL on its default vhost; a free port is a node that is down all along."""
    return f"amqp://guest:guest@127.0.0.1:{port}//"


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[tuple[OwnRabbitMQ, OwnRabbitMQ]]:
    """Two separate throwaway nodes (no cluster: the relay alone moves from one to the other)."""
    nodes = [OwnRabbitMQ(Path(tempfile.mkdtemp(prefix="payflow-test-rabbitmq-"))) for _ in range(2)]
    try:
        for node in nodes:
            node.write_files()
            node.launch()
        for node in nodes:
            node.wait_up()
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            node.discard()


def test_a_relay_whose_node_is_killed_publishes_the_rest_on_the_next_listed_node_that_is_up(
    tmp_path: Path, throwaway_services: OwnServices, two_nodes: tuple[OwnRabbitMQ, OwnRabbitMQ]
) -> None:
    first, last = two_nodes
    nodes = ";".join([node_url(first.amqp_port), node_url(free_port()), node_url(last.amqp_port)])
    with gateway_alone(tmp_path, throwaway_services, nodes) as (system, unpublished):
        load = LoadGenerator(system.api, 2 * STEP, rate=30).start()
        load.wait_sent(STEP)
        with node_killed(first):
            accepted_before = len(load.result.accepted)
            result = load.join()
            wait_until(
                lambda: unpublished() == 0, timeout=60, what="every accepted order's event to be published"
            )
        on_last = queue_messages(last.broker, "/")

    assert result.statuses["202"] == 2 * STEP, result.statuses
    assert on_last["orders.inbox"] >= len(result.accepted) - accepted_before > 0
    assert on_last["payments.inbox"] == on_last["orders.inbox"]
    assert f"publishing on {node_url(last.amqp_port).replace('guest@', '***@')}" in system.logs("gateway")


@contextlib.contextmanager
def gateway_alone(
    log_dir: Path, services: OwnServices, broker_url: str
) -> Iterator[tuple[RunningSystem, Callable[[], int]]]:
    """The gateway (its relay included) on a fresh database and `broker_url`, no worker; and a count of
    the accepted commands whose event is not published yet."""
    with fresh_database("payflow_fault", services.admin_url) as database_url:
        system = RunningSystem(system_env(database_url, broker_url), log_dir)
        engine = build_engine(database_url, application_name="payflow-fault-checks")

        def unpublished() -> int:
            with engine.connect() as conn:
                return int(conn.execute(UNPUBLISHED).scalar_one())

        try:
            system.setup()
            system.start("gateway")
            system.wait_ready()
            yield system, unpublished
        finally:
            system.stop_all()
            engine.dispose()
