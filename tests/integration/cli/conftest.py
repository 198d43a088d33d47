"""The CLI run in-process against this test's database and, for commands that need one, its vhost."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from app.bootstrap import topology
from app.bus import declare_topology_at
from app.cli import main
from app.config import Settings
from app.gateway import OUTBOX, SqlCommandStore
from tests.integration.gateway.commands import creation


@dataclass(frozen=True)
class Outcome:
    """What one CLI run left behind: its exit code and what it wrote."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Payflow = Callable[..., Outcome]


@pytest.fixture
def broker(broker_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at this test's vhost, with the topology `payflow setup` declares."""
    declare_topology_at(broker_url, topology(Settings.from_env({})))
    monkeypatch.setenv("PAYFLOW_BROKER_URL", broker_url)
    return broker_url


@pytest.fixture
def payflow(
    database_url: str, role_prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Payflow]:
    """Run `payflow ARGS...` in this process against this test's database (use `broker` for RabbitMQ)."""
    monkeypatch.setenv("PAYFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYFLOW_DATABASE_ROLE_PREFIX", role_prefix)
    monkeypatch.setenv("PAYFLOW_LOG_FORMAT", "text")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    yield run
    root.handlers[:], root.level = handlers, level  # the CLI installs its own handler on a captured stream


class Rows:
    """Gateway commands, orders and payments written straight to this test's tables."""

    def __init__(self, engine: Engine, store: SqlCommandStore) -> None:
        self.engine = engine
        self.store = store

    def order(self, order_status: str | None, payment_status: str | None, accepted: bool = True) -> uuid.UUID:
        """An order (None: not stored) with a payment (None: none), accepted by the gateway or not."""
        order_id = uuid.uuid4()
        if accepted:
            self.store.record(*creation(order_id=order_id))
        with self.engine.begin() as conn:
            if order_status is not None:
                conn.execute(_ORDER, {"id": order_id, "status": order_status})
            if payment_status is not None:
                conn.execute(_PAYMENT, {"order_id": order_id, "status": payment_status})
        return order_id

    def published_event(self) -> uuid.UUID:
        """The event of a gateway command the relay already published."""
        command, event = creation()
        self.store.record(command, event)
        with self.engine.begin() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == command.id).values(published_at=text("now()")))
        return event.id


_ORDER = text(
    "INSERT INTO orders.orders (id, user_id, total, status) VALUES (:id, gen_random_uuid(), 10.00, :status)"
)
_PAYMENT = text(
    "INSERT INTO payments.payments (id, order_id, amount, status, correlation_id)"
    " VALUES (gen_random_uuid(), :order_id, 10.00, :status, 'cli-test')"
)


@pytest.fixture
def rows(engine: Engine, autocommit_engine: Engine) -> Rows:
    return Rows(engine, SqlCommandStore(autocommit_engine))
