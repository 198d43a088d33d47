"""The CLI run in-process against the session's migrated database and a RabbitMQ vhost of its own."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.bus import declare_topology_at
from app.cli import main
from app.config import Settings
from tests.support.services import fresh_vhost


@dataclass(frozen=True)
class Outcome:
    """What one CLI run left behind: its exit code and what it wrote."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="module")
def cli_broker_url() -> Iterator[str]:
    """A vhost of this module's own with the topology the CLI expects (the default retry delays)."""
    with fresh_vhost("payflow-cli-test") as url:
        declare_topology_at(url, Settings.from_env({}).retry_delays_ms)
        yield url


@pytest.fixture
def broker(cli_broker_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at this module's vhost."""
    monkeypatch.setenv("PAYFLOW_BROKER_URL", cli_broker_url)
    return cli_broker_url


@pytest.fixture
def payflow(
    migrated_engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[..., Outcome]]:
    """Run `payflow ARGS...` in this process against the test database (use `broker` for RabbitMQ)."""
    monkeypatch.setenv("PAYFLOW_DATABASE_URL", database_url)
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
    """Orders, payments and gateway rows written straight to the tables by a test, deleted afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.order_ids: list[uuid.UUID] = []
        self.event_ids: list[uuid.UUID] = []

    def order(self, order_status: str | None, payment_status: str | None, accepted: bool = True) -> uuid.UUID:
        """An order (None: not stored) with a payment (None: none), accepted by the gateway or not."""
        order_id = uuid.uuid4()
        self.order_ids.append(order_id)
        with self.engine.begin() as conn:
            if accepted:
                conn.execute(_COMMAND, {"id": uuid.uuid4(), "order_id": order_id})
            if order_status is not None:
                conn.execute(_ORDER, {"id": order_id, "status": order_status})
            if payment_status is not None:
                conn.execute(_PAYMENT, {"id": uuid.uuid4(), "order_id": order_id, "status": payment_status})
        return order_id

    def published_event(self) -> uuid.UUID:
        """A gateway outbox event the relay already published."""
        event_id = uuid.uuid4()
        self.event_ids.append(event_id)
        with self.engine.begin() as conn:
            conn.execute(_EVENT, {"event_id": event_id})
        return event_id

    def delete(self) -> None:
        with self.engine.begin() as conn:
            for table, column in _OWNED:
                conn.execute(text(f"DELETE FROM {table} WHERE {column} = ANY(:ids)"), {"ids": self.order_ids})
            conn.execute(
                text("DELETE FROM gateway.outbox WHERE event_id = ANY(:ids)"), {"ids": self.event_ids}
            )


_COMMAND = text(
    "INSERT INTO gateway.commands (id, kind, order_id, request_hash, response_status, response_body)"
    " VALUES (:id, 'create_order', :order_id, repeat('0', 64), 202, '{}')"
)
_ORDER = text(
    "INSERT INTO orders.orders (id, user_id, total, status) VALUES (:id, gen_random_uuid(), 10.00, :status)"
)
_PAYMENT = text(
    "INSERT INTO payments.payments (id, order_id, amount, status, correlation_id)"
    " VALUES (:id, :order_id, 10.00, :status, 'cli-test')"
)
_EVENT = text(
    "INSERT INTO gateway.outbox (event_id, event_type, correlation_id, body, published_at)"
    " VALUES (:event_id, 'order.cancelled', 'cli-test', '{}', now())"
)
_OWNED = (("gateway.commands", "order_id"), ("orders.orders", "id"), ("payments.payments", "order_id"))


@pytest.fixture
def rows(migrated_engine: Engine) -> Iterator[Rows]:
    seeded = Rows(migrated_engine)
    yield seeded
    seeded.delete()
