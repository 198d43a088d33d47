"""Fault-test fixtures: a whole system per test, services checked up before each, figures at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.faults.outages import start_broker, start_database
from tests.faults.stack import FaultStack, running_stack
from tests.faults.verdict import REPORTED

Launch = Callable[..., FaultStack]


@pytest.fixture(autouse=True)
def _services_running() -> None:
    """A fault test that failed to restart a service must not take every later test down with it."""
    start_database()
    start_broker()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """Start a fresh system (own database, vhost and processes) with extra PAYFLOW_* settings."""
    with ExitStack() as stacks:

        def start(**overrides: str) -> FaultStack:
            return stacks.enter_context(running_stack(tmp_path, **overrides))

        yield start


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTED:
        terminalreporter.section("fault test figures")
        for line in REPORTED:
            terminalreporter.write_line(line)
