"""The tests' own PostgreSQL cluster and RabbitMQ node together, for tests that stop or restart them."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.own_rabbitmq import OwnRabbitMQ
from tests.support.services import BrokerNode


@dataclass(frozen=True)
class OwnServices:
    """A throwaway cluster and node: tests may stop them; the machine's services are never touched."""

    postgres: OwnPostgres
    rabbitmq: OwnRabbitMQ

    @property
    def admin_url(self) -> str:
        return self.postgres.admin_url

    @property
    def broker(self) -> BrokerNode:
        return self.rabbitmq.broker


@contextlib.contextmanager
def own_services() -> Iterator[OwnServices]:
    """Both started (the node boots while the cluster is made); both stopped and deleted at the end."""
    rabbitmq = OwnRabbitMQ(Path(tempfile.mkdtemp(prefix="payflow-test-rabbitmq-")))
    try:
        rabbitmq.write_files()
        rabbitmq.launch()
        with own_postgres() as postgres:
            rabbitmq.wait_up()
            yield OwnServices(postgres, rabbitmq)
    finally:
        rabbitmq.discard()
