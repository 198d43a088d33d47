"""Stopping PostgreSQL or RabbitMQ on purpose, and always bringing them back up before going on."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator

from tests.support.waiting import wait_until

START_TIMEOUT_S = 120


def _run(*command: str, check: bool = True, timeout: float = START_TIMEOUT_S) -> bool:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")
    return done.returncode == 0


def _cluster(action: str, *options: str, check: bool = True) -> bool:
    (version,) = os.listdir("/etc/postgresql")
    return _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *options, check=check)


def database_is_up() -> bool:
    return _run("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", check=False, timeout=10)


def start_database() -> None:
    """Start the cluster unless it runs, then wait until it accepts connections."""
    if not database_is_up():
        _cluster("start", check=False)  # fails harmlessly when it is already starting
    wait_until(database_is_up, timeout=START_TIMEOUT_S, what="PostgreSQL to accept connections", interval=0.2)


@contextlib.contextmanager
def database_stopped() -> Iterator[None]:
    """PostgreSQL down (fast shutdown: connections are cut) for the block, started again whatever happens."""
    try:
        _cluster("stop", "-m", "fast")
        yield
    finally:
        start_database()


def broker_is_up() -> bool:
    return _run("rabbitmqctl", "-q", "await_startup", "--timeout", "5", check=False, timeout=30)


def start_broker() -> None:
    """Make sure RabbitMQ runs: start it only when it does not answer."""
    if not broker_is_up():
        restart_broker()


def restart_broker() -> None:
    """Start the RabbitMQ application (or the whole node when it is gone) and wait until it is up."""
    if not _run("rabbitmqctl", "-q", "start_app", check=False):
        _run("rabbitmq-server", "-detached", check=False)
    wait_until(broker_is_up, timeout=START_TIMEOUT_S, what="RabbitMQ to finish starting", interval=0.5)


@contextlib.contextmanager
def broker_stopped() -> Iterator[None]:
    """RabbitMQ's application stopped (every connection cut) for the block, started again whatever happens."""
    try:
        _run("rabbitmqctl", "-q", "stop_app")
        yield
    finally:
        restart_broker()
