"""Runs the real processes (gunicorn gateway, orders and payments workers) for end-to-end and fault tests."""

from __future__ import annotations

import functools
import os
import random
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.http import Api
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {
    "gateway": [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
    "orders": [sys.executable, "worker.py", "--role", "orders"],
    "payments": [sys.executable, "worker.py", "--role", "payments"],
}


# Below Linux's default ephemeral range (32768-60999): a port the kernel hands out as the source of an
# outgoing connection (and it makes thousands here) could otherwise be taken before its server binds it.
_PORTS = range(20_000, 32_768)
_HANDED_OUT: set[int] = set()  # never the same port twice in a run, though the first is not bound yet


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now, outside the range outgoing connections take from."""
    for port in random.sample(_PORTS, 500):
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise AssertionError(f"no free port among 500 tried in {_PORTS}")


@dataclass
class RunningSystem:
    """The processes of one stack, their environment and log files."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api(self) -> Api:
        return Api(f"http://{self.env['PAYFLOW_HTTP_BIND']}/api")

    def setup(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "setup"], cwd=ROOT, env=self.env, check=True, timeout=120
        )

    def start(self, name: str, command_name: str | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            COMMANDS[command_name or name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_all(self) -> None:
        for name in COMMANDS:
            self.start(name)
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_until(self._ready, timeout=60, what="the gateway to report ready")
        for role in ("orders", "payments"):
            port = self.env.get(f"PAYFLOW_{role.upper()}_METRICS_PORT", "0")
            if role in self.processes and port != "0":
                listening = functools.partial(_answers, int(port))
                wait_until(listening, timeout=60, what=f"the {role} worker's HTTP port to accept")

    def _ready(self) -> bool:
        try:
            return self.api.get("/health/ready", timeout=2).status == 200
        except OSError:
            return False

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        process = self.processes.pop(name)
        if process.poll() is None:
            process.send_signal(sig)
        return process.wait(timeout)

    def stop_all(self) -> dict[str, int]:
        return {name: self.stop(name) for name in list(self.processes)}

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


def _answers(port: int) -> bool:
    """True once something accepts connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def system_env(database_url: str, broker_url: str, **overrides: str) -> dict[str, str]:
    """An environment that points every process at the test database and vhost, with a fast gateway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYFLOW_")}
    env.update(
        PAYFLOW_DATABASE_URL=database_url,
        PAYFLOW_BROKER_URL=broker_url,
        PAYFLOW_HTTP_BIND=f"127.0.0.1:{free_port()}",
        PAYFLOW_HTTP_WORKERS="2",
        PAYFLOW_PAYMENT_LATENCY_MS="20",
        PAYFLOW_PAYMENT_DEADLINE_S="3",
        PAYFLOW_RETRY_DELAYS_MS="100,300,1000",
        PAYFLOW_LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
        # Free ports, so a test stack never collides with a dev stack's 9101/9102 (a taken port is not fatal).
        PAYFLOW_ORDERS_METRICS_PORT=str(free_port()),
        PAYFLOW_PAYMENTS_METRICS_PORT=str(free_port()),
        PAYFLOW_METRICS_BIND=f"127.0.0.1:{free_port()}",
    )
    env.update(overrides)
    return env
