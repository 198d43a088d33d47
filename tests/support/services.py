"""Throw-away PostgreSQL databases and RabbitMQ vhosts, so tests never touch a running dev stack."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.persistence.migrations import ensure_database
from app.persistence.roles import PROCESSES

ADMIN_URL = os.environ.get("PAYFLOW_TEST_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
BROKER_HOST = os.environ.get("PAYFLOW_TEST_BROKER_HOST", "guest:guest@127.0.0.1:5672")


@contextlib.contextmanager
def fresh_database(prefix: str = "payflow_test") -> Iterator[str]:
    """A new empty database, dropped (with any connections left, and its roles) when the block ends."""
    url = make_url(ADMIN_URL).set(database=f"{prefix}_{uuid.uuid4().hex[:10]}")
    rendered = url.render_as_string(hide_password=False)
    ensure_database(rendered)
    try:
        yield rendered
    finally:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            # Roles are cluster-wide: by default `payflow setup` names them after the database.
            for process in PROCESSES:
                conn.execute(text(f'DROP ROLE IF EXISTS "{url.database}_{process}"'))
        admin.dispose()


@contextlib.contextmanager
def fresh_vhost(prefix: str = "payflow-test") -> Iterator[str]:
    """A new RabbitMQ vhost the guest user may use, deleted when the block ends."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://{BROKER_HOST}/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


@contextlib.contextmanager
def broker_users(vhost_url: str, prefix: str = "payflow-test") -> Iterator[dict[str, str]]:
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
            subprocess.run(
                ["rabbitmqctl", "-q", "delete_user", name], check=False, capture_output=True, timeout=60
            )


def role_broker_env(urls: dict[str, str]) -> dict[str, str]:
    """The settings that make each process log in with its role's URL."""
    return {f"PAYFLOW_{role.upper()}_BROKER_URL": url for role, url in urls.items()}


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def queue_types(broker_url: str) -> dict[str, str]:
    """The type (classic, quorum) of every queue of the vhost `broker_url` names."""
    vhost = broker_url.rsplit("/", 1)[1]
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type", "--no-table-headers"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return dict(line.split("\t") for line in listed.splitlines() if line.strip())
