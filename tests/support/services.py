"""Throw-away PostgreSQL databases and RabbitMQ vhosts, so tests never touch a running dev stack."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator

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


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
