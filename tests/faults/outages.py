"""Stopping the tests' own PostgreSQL or RabbitMQ on purpose, and always bringing them back up."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.support.own_postgres import OwnPostgres
from tests.support.own_rabbitmq import OwnRabbitMQ


@contextlib.contextmanager
def database_stopped(postgres: OwnPostgres) -> Iterator[None]:
    """The cluster down (fast shutdown: connections are cut) for the block, started again whatever happens."""
    try:
        postgres.stop("fast")
        yield
    finally:
        postgres.start()


@contextlib.contextmanager
def broker_stopped(rabbitmq: OwnRabbitMQ) -> Iterator[None]:
    """The node's application stopped (every connection cut) for the block, started again whatever happens."""
    try:
        rabbitmq.stop_app()
        yield
    finally:
        rabbitmq.start()


@contextlib.contextmanager
def node_killed(node: OwnRabbitMQ) -> Iterator[None]:
    """The node killed with -9 for the block (a crash), booted again on its files whatever happens."""
    try:
        node.kill()
        yield
    finally:
        node.start()
