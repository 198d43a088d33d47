"""Shared fixtures (a throw-away database and vhost per session), the machine's services guard, figures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.persistence.engine import build_engine
from app.persistence.migrations import upgrade_all
from tests.support.figures import REPORTED
from tests.support.services import fresh_database, fresh_vhost
from tests.support.untouched import UntouchedServices


def pytest_configure(config: pytest.Config) -> None:
    """Every run fails if it leaves the machine's PostgreSQL or RabbitMQ with other process ids."""
    config.pluginmanager.register(UntouchedServices(), "untouched-services")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures tests measured, one line each, so a run's log carries them (the notes quote them)."""
    if REPORTED:
        terminalreporter.section("figures measured by tests")
        for line in REPORTED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of its own for this test session, dropped at the end."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database with every module's migrations applied."""
    engine = build_engine(database_url, application_name="payflow-tests")
    upgrade_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """A RabbitMQ vhost of its own for this test session, deleted at the end."""
    with fresh_vhost() as url:
        yield url
