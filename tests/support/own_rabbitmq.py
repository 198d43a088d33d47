"""A throwaway RabbitMQ node of the tests' own: its node name, ports, cookie and directories."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.services import BrokerNode
from tests.support.system import free_port
from tests.support.waiting import wait_until

START_TIMEOUT_S = 120
# The real scripts: the /usr/sbin wrappers switch to the rabbitmq user and its cookie, the machine's node.
SCRIPTS = Path(os.environ.get("PAYFLOW_TEST_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


@dataclass
class OwnRabbitMQ:
    """One node, `payflow-test-<hex>@localhost`, whose every file lives under `root`."""

    root: Path
    node: str = field(default_factory=lambda: f"payflow-test-{secrets.token_hex(4)}@localhost")
    amqp_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    epmd_port: int = field(default_factory=free_port)  # its own epmd: not even the name registry is shared
    cookie: str = field(default_factory=lambda: secrets.token_hex(20))  # a cluster's nodes share theirs
    management_port: int | None = None  # set: the management plugin, its HTTP API on this port
    process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """Every variable that would otherwise send a script to the machine's node, files or cookie."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        files = {"CONFIG_FILE": "rabbitmq.conf", "ADVANCED_CONFIG_FILE": "advanced.config"}
        files |= {"CONF_ENV_FILE": "rabbitmq-env.conf", "ENABLED_PLUGINS_FILE": "enabled_plugins"}
        files |= {"MNESIA_BASE": "mnesia", "LOG_BASE": "log", "PID_FILE": "node.pid"}
        env.update({f"RABBITMQ_{name}": str(self.root / path) for name, path in files.items()})
        env.update(
            HOME=str(self.root),  # the Erlang cookie is $HOME/.erlang.cookie, for the node and rabbitmqctl
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_EPMD_PORT=str(self.epmd_port),
        )
        return env

    @property
    def broker(self) -> BrokerNode:
        """How tests make vhosts on this node and reach it."""
        ctl = (str(SCRIPTS / "rabbitmqctl"), "-n", self.node)
        return BrokerNode(f"guest:guest@127.0.0.1:{self.amqp_port}", ctl, self.env)

    @property
    def management_url(self) -> str:
        """The management API as the administrator (PAYFLOW_BROKER_ADMIN_URL's form)."""
        assert self.management_port is not None, "this node runs without the management plugin"
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def write_files(self) -> None:
        (self.root / ".erlang.cookie").write_text(self.cookie)
        (self.root / ".erlang.cookie").chmod(0o400)
        conf, plugins = f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n", ""
        if self.management_port is not None:  # the enabled-plugins file is this node's own, not the machine's
            conf += f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
            plugins = "rabbitmq_management"
        (self.root / "rabbitmq.conf").write_text(conf)
        (self.root / "advanced.config").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")
        (self.root / "enabled_plugins").write_text(f"[{plugins}].\n")

    def launch(self) -> None:
        """Start the node in the background (its own session, so it can be killed whole); see wait_up."""
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the child keeps it; closed with the process
        self.process = subprocess.Popen(
            [str(SCRIPTS / "rabbitmq-server")],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def is_up(self) -> bool:
        return self.broker.succeeds("await_startup", "--timeout", "5")

    def wait_up(self) -> None:
        wait_until(
            self.is_up, timeout=START_TIMEOUT_S, what=f"RabbitMQ node {self.node} to start", interval=0.5
        )

    def start(self) -> None:
        """Make sure the node runs: start its application (a no-op when it runs), or the node when gone."""
        if not self.broker.succeeds("start_app"):
            self.launch()
        self.wait_up()

    def stop_app(self) -> None:
        """Stop the RabbitMQ application (every connection cut); the Erlang node stays."""
        self.broker.rabbitmqctl("stop_app")

    def kill(self) -> None:
        """kill -9 the node (the Erlang VM and everything it started): a crash, no shutdown at all."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def restart(self) -> None:
        """Stop the node gracefully (its process ends), then boot it again on the same files."""
        self.broker.rabbitmqctl("stop")
        if self.process is not None:
            self.process.wait(60)
        self.launch()
        self.wait_up()

    def discard(self) -> None:
        """Stop the node and its epmd however they are, and delete every file they had."""
        self.broker.succeeds("stop")
        if self.process is not None:
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        epmd = shutil.which("epmd") or "epmd"
        subprocess.run(
            [epmd, "-port", str(self.epmd_port), "-kill"], capture_output=True, timeout=30, check=False
        )
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def own_rabbitmq(management: bool = False) -> Iterator[OwnRabbitMQ]:
    """One node started, with the management plugin on a free port of its own when asked; stopped and
    deleted at the end."""
    port = free_port() if management else None
    node = OwnRabbitMQ(Path(tempfile.mkdtemp(prefix="payflow-test-rabbitmq-")), management_port=port)
    try:
        node.write_files()
        node.launch()
        node.wait_up()  # the node's boot includes starting its plugins: the API answers from here on
        yield node
    finally:
        node.discard()
