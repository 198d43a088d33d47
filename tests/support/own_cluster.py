"""A throwaway RabbitMQ cluster: several of the tests' own nodes, one cookie, one epmd of their own."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.own_rabbitmq import SCRIPTS, OwnRabbitMQ
from tests.support.system import free_port
from tests.support.waiting import wait_until


@dataclass(frozen=True)
class OwnCluster:
    """Nodes joined to the first one; each keeps its own ports and directories."""

    nodes: list[OwnRabbitMQ]
    epmd_port: int

    def node_list(self, vhost: str) -> str:
        """The broker URL listing every node (PAYFLOW_BROKER_URL's ';'-separated form) on `vhost`."""
        return ";".join(f"amqp://guest:guest@127.0.0.1:{node.amqp_port}/{vhost}" for node in self.nodes)

    def running(self) -> OwnRabbitMQ:
        """A node that answers now (to list queues or make vhosts while another one is down)."""
        return next(node for node in self.nodes if node.is_up())

    def node_named(self, name: str) -> OwnRabbitMQ:
        return next(node for node in self.nodes if node.node == name)

    def queue_type(self, vhost: str, queue: str) -> str:
        """classic or quorum."""
        listing = self.running().broker.rabbitmqctl(
            "list_queues", "-p", vhost, "name", "type", "--formatter", "json"
        )
        return str(next(row["type"] for row in json.loads(listing) if row["name"] == queue))

    def leader_of(self, vhost: str, queue: str) -> OwnRabbitMQ:
        """The node that leads a quorum queue, or holds a classic one (the node that lists it as local)."""
        listing = self.running().broker.rabbitmqctl(
            "list_queues", "-p", vhost, "name", "type", "leader", "--formatter", "json"
        )
        row = next(row for row in json.loads(listing) if row["name"] == queue)
        if row["type"] == "quorum":
            return self.node_named(row["leader"])
        return next(node for node in self.nodes if node.is_up() and queue in _local_queues(node, vhost))

    def quorum_safe_to_stop(self, node: OwnRabbitMQ) -> bool:
        """Whether stopping `node` leaves every quorum queue a majority of its members: what a rolling
        restart checks before each node (always true of classic queues)."""
        check = [str(SCRIPTS / "rabbitmq-queues"), "-n", node.node, "-q", "check_if_node_is_quorum_critical"]
        done = subprocess.run(check, env=node.env, capture_output=True, timeout=60, check=False)
        return done.returncode == 0

    def all_running(self) -> bool:
        """Every node up and a member of the running cluster."""
        expected = str(len(self.nodes))
        return self.running().broker.succeeds("await_online_nodes", expected, "--timeout", "5")


def _local_queues(node: OwnRabbitMQ, vhost: str) -> set[str]:
    listing = node.broker.rabbitmqctl("list_queues", "-p", vhost, "name", "--local", "--formatter", "json")
    return {row["name"] for row in json.loads(listing)}


def _answers(epmd: list[str]) -> bool:
    return subprocess.run([*epmd, "-names"], capture_output=True, timeout=10, check=False).returncode == 0


def _join(node: OwnRabbitMQ, first: OwnRabbitMQ) -> None:
    node.broker.rabbitmqctl("stop_app")
    node.broker.rabbitmqctl("join_cluster", first.node)
    node.broker.rabbitmqctl("start_app")


@contextlib.contextmanager
def own_cluster(size: int = 3) -> Iterator[OwnCluster]:
    """`size` nodes booted together and joined into one cluster; all killed and deleted at the end."""
    cookie, epmd_port = secrets.token_hex(20), free_port()
    # Its own epmd, a child of this process outside every node's process group: killing a node must not
    # take the registry with it, and the registry ends with the cluster (a -daemon one could outlive it).
    command = [shutil.which("epmd") or "epmd", "-port", str(epmd_port)]
    epmd = subprocess.Popen(
        [*command, "-address", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Up before any node boots, or a node would start an epmd -daemon of its own on the port.
    wait_until(lambda: _answers(command), timeout=30, what="the cluster's epmd to answer")
    roots = [Path(tempfile.mkdtemp(prefix="payflow-test-cluster-")) for _ in range(size)]
    nodes = [OwnRabbitMQ(root, epmd_port=epmd_port, cookie=cookie) for root in roots]
    try:
        for node in nodes:
            node.write_files()
            node.launch()
        for node in nodes:
            node.wait_up()
        for node in nodes[1:]:
            _join(node, nodes[0])
        yield OwnCluster(nodes, epmd_port)
    finally:
        for node in nodes:
            node.kill()
            shutil.rmtree(node.root, ignore_errors=True)
        epmd.kill()
        epmd.wait(30)
