"""Fault-test fixtures: the tests' own PostgreSQL and RabbitMQ, a system per test, figures at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.faults.stack import FaultStack, running_stack
from tests.support.own_services import OwnServices, own_services

Launch = Callable[..., FaultStack]


@pytest.fixture(scope="package")
def throwaway_services() -> Iterator[OwnServices]:
    """A PostgreSQL cluster and a RabbitMQ node of the fault tests' own, made once per session at the
    first fault test, deleted after the last one: the tests stop these, never the machine's."""
    with own_services() as services:
        yield services


@pytest.fixture(autouse=True)
def _services_running(throwaway_services: OwnServices) -> None:
    """A fault test that failed to restart a service must not take every later test down with it."""
    throwaway_services.postgres.start()
    throwaway_services.rabbitmq.start()


@pytest.fixture
def launch(tmp_path: Path, throwaway_services: OwnServices) -> Iterator[Launch]:
    """Start a fresh system (own database, vhost and processes) with extra PAYFLOW_* settings."""
    with ExitStack() as stacks:

        def start(**overrides: str) -> FaultStack:
            return stacks.enter_context(running_stack(tmp_path, throwaway_services, **overrides))

        yield start
