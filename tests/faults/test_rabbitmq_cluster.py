"""Fault 9: a three-node RabbitMQ cluster loses the node leading the inboxes (kill -9), then every node
is restarted in turn, while orders keep coming in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import ROLES
from app.bus import inbox_name
from tests.faults.client_view import TimedApi, longest_settlement_gap, posts_between, settled_among
from tests.faults.load import LoadGenerator
from tests.faults.outages import node_killed
from tests.faults.stack import FaultStack, running_stack
from tests.faults.verdict import verify
from tests.support.own_cluster import OwnCluster, own_cluster
from tests.support.own_rabbitmq import OwnRabbitMQ
from tests.support.own_services import OwnServices
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults
MAX_ORDERS = 5000  # a cap: the load stops once the last node restarted
RATE = 8.0  # orders per second
STEP = 40  # orders posted after each fault, at least, before the next
DOWN_S = 60  # how long the killed node stays down, at most, for the others to go on without it


@pytest.fixture(scope="module")
def cluster() -> Iterator[OwnCluster]:
    with own_cluster(3) as nodes:
        yield nodes


def test_killing_the_inbox_leader_and_restarting_every_node_of_a_cluster_loses_and_doubles_no_order(
    tmp_path: Path, throwaway_services: OwnServices, cluster: OwnCluster
) -> None:
    with running_stack(tmp_path, throwaway_services, cluster) as stack:
        api = TimedApi(stack.system.api.base_url)
        load = LoadGenerator(api, MAX_ORDERS, rate=RATE).start()
        try:
            load.wait_sent(STEP)
            killed_at = time.time()
            settling_again_s = kill_the_inbox_leader(cluster, stack, load)
            back_at = time.time()
            for node in cluster.nodes:  # the rolling restart, as an operator does it
                restart_safely(cluster, node)
                load.wait_sent(load.sent + STEP // 2)
            wait_until(cluster.all_running, timeout=120, what="every node to be running again", interval=1)
            done, done_at = time.monotonic(), time.time()
        finally:
            result = load.finish()

        verify(
            stack,
            "rabbitmq-cluster-leader-killed-then-rolling-restart",
            result,
            since=done,
            timeout=240,
            queues=queue_types(cluster, stack),
            posts_during_kill=posts_between(api, killed_at, back_at),
            posts_during_rolling_restart=posts_between(api, back_at, done_at),
            first_order_after_kill_settled_s=f"{settling_again_s:.1f}",
            longest_settlement_gap_s=f"{longest_settlement_gap(stack.engine, killed_at):.1f}",
            faults_s=f"{done_at - killed_at:.1f}",
        )


def kill_the_inbox_leader(cluster: OwnCluster, stack: FaultStack, load: LoadGenerator) -> float:
    """kill -9 the node leading the inboxes; the seconds until the first order posted after the kill
    settled, with the node still down (it boots again once STEP such orders settled)."""
    leaders = {cluster.leader_of(stack.vhost, inbox_name(role)).node for role in ROLES}
    assert len(leaders) == 1, leaders  # both declared through the first node: one kill hits both
    killed_at, accepted_before = time.monotonic(), len(load.result.accepted)

    def settled_after_kill() -> int:
        return settled_among(stack.engine, load.result.accepted[accepted_before:])

    with node_killed(cluster.node_named(leaders.pop())):
        # The point of replicated queues and several nodes: orders keep settling while the leader is away.
        what = "orders posted after the kill to settle while the node is down"
        wait_until(settled_after_kill, timeout=DOWN_S, what=what, interval=0.1)
        first_settled_s = time.monotonic() - killed_at
        wait_until(lambda: settled_after_kill() >= STEP, timeout=DOWN_S, what=f"{STEP} {what}", interval=0.5)
        return first_settled_s


def restart_safely(cluster: OwnCluster, node: OwnRabbitMQ) -> None:
    """Wait until the cluster is whole and no quorum queue needs `node` for its majority, then restart it."""
    wait_until(cluster.all_running, timeout=120, what="every node to be running in the cluster", interval=1)
    wait_until(
        lambda: cluster.quorum_safe_to_stop(node), timeout=120, what=f"{node.node} not quorum critical"
    )
    node.restart()


def queue_types(cluster: OwnCluster, stack: FaultStack) -> str:
    """The type of the inboxes, as the figures must say which state was tested."""
    return ",".join(sorted({cluster.queue_type(stack.vhost, inbox_name(role)) for role in ROLES}))
