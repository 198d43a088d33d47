"""One system under test: its processes, an engine on its database, its vhost; started per fault test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine

from app.persistence import build_engine
from tests.support.own_cluster import OwnCluster
from tests.support.own_services import OwnServices
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import ROOT, RunningSystem, system_env
from tests.support.waiting import wait_until

# Fast enough for a few hundred orders in seconds, slow enough that faults hit work in flight.
FAULT_ENV = {
    "PAYFLOW_PAYMENT_LATENCY_MS": "50",
    "PAYFLOW_PAYMENT_DEADLINE_S": "20",
    "PAYFLOW_RETRY_DELAYS_MS": "100,500,2000",
}


@dataclass
class FaultStack:
    """Everything a fault test touches: the running processes and direct access to their state."""

    system: RunningSystem
    engine: Engine
    database_url: str
    broker_url: str
    services: OwnServices  # the throwaway PostgreSQL and RabbitMQ this stack runs on

    @property
    def vhost(self) -> str:
        return unquote(urlsplit(self.broker_url.split(";")[0]).path.lstrip("/"))  # every node: one vhost

    def gateway_workers(self) -> list[int]:
        """Pids of gunicorn's worker processes (children of the master this test started)."""
        master = self.system.processes["gateway"].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def kill_gateway_worker(self) -> int:
        """SIGKILL one gunicorn worker (the master forks a replacement); the pid killed."""
        pid = self.gateway_workers()[0]
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return pid

    def start_worker(self, name: str, role: str | None = None) -> None:
        """Start a worker process and wait until it consumes (its log says so once more than before)."""
        role = role or name
        log = Path(self.system.log_dir / f"{name}.log")
        marker = f"consuming {role}.inbox"
        before = log.read_text(errors="replace").count(marker) if log.exists() else 0
        self.system.start(name, command_name=role)
        wait_until(
            lambda: self.system.logs(name).count(marker) > before, timeout=60, what=f"{name} to consume"
        )

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `python -m app.cli ...` against this stack's database and vhost."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=self.system.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@contextlib.contextmanager
def running_stack(
    log_dir: Path, services: OwnServices, cluster: OwnCluster | None = None, /, **overrides: str
) -> Iterator[FaultStack]:
    """Fresh database and vhost on the tests' own services (the vhost on `cluster`, every node listed in
    the broker URL, when given), `payflow setup`, gateway + both workers; all stopped and dropped after."""
    if cluster is not None:  # its first node makes the vhost and, with all nodes up again, lists queues
        services = OwnServices(services.postgres, cluster.nodes[0])
    with (
        fresh_database("payflow_fault", services.admin_url) as database_url,
        fresh_vhost("payflow-fault", services.broker) as vhost_url,
    ):
        broker_url = vhost_url if cluster is None else cluster.node_list(urlsplit(vhost_url).path[1:])
        system = RunningSystem(system_env(database_url, broker_url, **(FAULT_ENV | overrides)), log_dir)
        engine = build_engine(database_url, application_name="payflow-fault-checks")
        try:
            system.setup()
            system.start_all()
            yield FaultStack(system, engine, database_url, broker_url, services)
        finally:
            _stop_everything(system)
            engine.dispose()


def _stop_everything(system: RunningSystem) -> None:
    """SIGTERM every process still running; one that does not exit in time is killed."""
    for name, process in list(system.processes.items()):
        try:
            system.stop(name, timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
