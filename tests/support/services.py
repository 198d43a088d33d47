"""Throw-away databases and vhosts (on the machine's services or the tests' own), never a dev stack's."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.persistence.migrations import ensure_database
from app.persistence.roles import PROCESSES
from app.persistence.watchdog import WATCHDOG

ADMIN_URL = os.environ.get("PAYFLOW_TEST_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
BROKER_HOST = os.environ.get("PAYFLOW_TEST_BROKER_HOST", "guest:guest@127.0.0.1:5672")


@dataclass(frozen=True)
class BrokerNode:
    """A RabbitMQ node tests make vhosts on: its AMQP address and the rabbitmqctl that reaches it."""

    host: str  # user:password@host:port
    ctl: tuple[str, ...] = ("rabbitmqctl",)
    env: Mapping[str, str] | None = None  # None: this process's environment

    def rabbitmqctl(self, *args: str) -> str:
        """Run one rabbitmqctl command on this node; its output, or an error naming the command."""
        done = subprocess.run(
            [*self.ctl, "-q", *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"rabbitmqctl {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def succeeds(self, *args: str) -> bool:
        """Whether the command succeeds (a node that does not answer is no error here)."""
        try:
            self.rabbitmqctl(*args)
        except (AssertionError, subprocess.TimeoutExpired):
            return False
        return True


MACHINE_BROKER = BrokerNode(BROKER_HOST)


def sessions_on(database_url: str) -> list[tuple[int, str, str]]:
    """(pid, role, application name) of every session on the database of `database_url`, as the admin sees."""
    admin = create_engine(ADMIN_URL)
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT pid, usename, application_name FROM pg_stat_activity WHERE datname = :db"),
                {"db": make_url(database_url).database},
            )
            return [(row.pid, row.usename, row.application_name) for row in found]
    finally:
        admin.dispose()


@contextlib.contextmanager
def fresh_database(prefix: str = "payflow_test", admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new empty database on the server of `admin_url`, dropped (with any connections left, and its
    roles) when the block ends."""
    url = make_url(admin_url).set(database=f"{prefix}_{uuid.uuid4().hex[:10]}")
    rendered = url.render_as_string(hide_password=False)
    ensure_database(rendered)
    try:
        yield rendered
    finally:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            # Roles are cluster-wide: by default `payflow setup` names them after the database.
            for process in (*PROCESSES, WATCHDOG):
                conn.execute(text(f'DROP ROLE IF EXISTS "{url.database}_{process}"'))
        admin.dispose()


@contextlib.contextmanager
def fresh_vhost(prefix: str = "payflow-test", broker: BrokerNode = MACHINE_BROKER) -> Iterator[str]:
    """A new vhost on `broker` the guest user may use, deleted when the block ends."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:10]}"
    broker.rabbitmqctl("add_vhost", vhost)
    try:
        broker.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://{broker.host}/{vhost}"
    finally:
        broker.rabbitmqctl("delete_vhost", vhost)


@contextlib.contextmanager
def broker_users(
    vhost_url: str, prefix: str = "payflow-test", broker: BrokerNode = MACHINE_BROKER
) -> Iterator[dict[str, str]]:
    """Each process role's broker URL on `vhost_url`'s vhost, as a user no other test or stack uses
    (users are global to the broker) and a random password; the users `payflow setup` made from these
    URLs are deleted when the block ends."""
    parts, tag = urlsplit(vhost_url), uuid.uuid4().hex[:10]
    names = {role: f"{prefix}-{tag}-{role}" for role in PROCESSES}
    where = f"{parts.hostname}:{parts.port}"
    try:
        yield {
            role: urlunsplit(parts._replace(netloc=f"{name}:{secrets.token_hex(12)}@{where}"))
            for role, name in names.items()
        }
    finally:
        for name in names.values():  # a user setup never made is simply not there
            broker.succeeds("delete_user", name)


def role_broker_env(urls: dict[str, str]) -> dict[str, str]:
    """The settings that make each process log in with its role's URL."""
    return {f"PAYFLOW_{role.upper()}_BROKER_URL": url for role, url in urls.items()}


def queue_types(broker_url: str, broker: BrokerNode = MACHINE_BROKER) -> dict[str, str]:
    """The type (classic, quorum) of every queue of the vhost `broker_url` names."""
    vhost = broker_url.rsplit("/", 1)[1]
    listed = broker.rabbitmqctl("list_queues", "-p", vhost, "name", "type", "--no-table-headers")
    return dict(line.split("\t") for line in listed.splitlines() if line.strip())
