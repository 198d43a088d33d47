"""Integration fixtures: each test gets a migrated PostgreSQL database and a RabbitMQ vhost of its own.

The migrations run once per session into a template database; each test's database is a copy of it
(`CREATE DATABASE ... TEMPLATE`, a few tens of milliseconds), dropped when the test ends. The template
is also secured (`app.persistence.roles`), as `payflow setup` leaves a database; its roles are named after
the template, so settings built for a copy name the `role_prefix` (the copies keep the template's grants).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.persistence import build_engine
from app.persistence.migrations import upgrade_all
from app.persistence.roles import secure_database
from app.process_roles import process_roles
from tests.support.services import ADMIN_URL, fresh_database, fresh_vhost


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """The name of a database migrated and secured once, copied for every test."""
    with fresh_database("payflow_it_template") as url:
        engine = build_engine(url, application_name="payflow-tests")
        upgrade_all(engine)
        name = str(make_url(url).database)
        secure_database(engine, process_roles(Settings.from_env({"PAYFLOW_DATABASE_URL": url})))
        engine.dispose()
        # No connection may be open on a template while it is copied, not even autovacuum's.
        _admin(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
        try:
            yield name
        finally:
            _admin(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false ALLOW_CONNECTIONS true')


@pytest.fixture(scope="session")
def role_prefix(template_database: str) -> str:
    """PAYFLOW_DATABASE_ROLE_PREFIX for every copy: its roles are the template's (named after it)."""
    return template_database


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """A migrated database of this test's own (overrides the session-wide one of tests/conftest.py)."""
    with _copy_of(template_database) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The owner's engine on this test's database, as migrations and the modules' SQL tests use it."""
    engine = build_engine(database_url, application_name="payflow-tests", pool_size=10)
    yield engine
    engine.dispose()


@pytest.fixture
def autocommit_engine(database_url: str) -> Iterator[Engine]:
    """An engine in autocommit mode, as the gateway's (its command store relies on it)."""
    engine = build_engine(database_url, application_name="payflow-tests", pool_size=10, autocommit=True)
    yield engine
    engine.dispose()


class Vhosts:
    """Fresh vhosts (tests/support/services.py) made one or two ahead on a thread of their own and
    deleted on another after their test: rabbitmqctl takes about a second per call."""

    def __init__(self, ahead: int = 2) -> None:
        self._ready: queue.Queue[tuple[contextlib.AbstractContextManager[str], str]] = queue.Queue(ahead)
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._leaving: list[threading.Thread] = []
        self._maker = threading.Thread(target=self._make, name="vhost-maker", daemon=True)
        self._maker.start()

    def take(self) -> tuple[contextlib.AbstractContextManager[str], str]:
        while self._failure is None:
            with contextlib.suppress(queue.Empty):
                return self._ready.get(timeout=0.1)
        raise self._failure

    def give_back(self, vhost: contextlib.AbstractContextManager[str]) -> None:
        leaving = threading.Thread(target=vhost.__exit__, args=(None, None, None), name="vhost-deleter")
        leaving.start()
        self._leaving.append(leaving)

    def close(self) -> None:
        self._stop.set()
        self._maker.join(timeout=60)
        while not self._ready.empty():
            self.give_back(self._ready.get_nowait()[0])
        for leaving in self._leaving:
            leaving.join(timeout=60)

    def _make(self) -> None:
        try:
            while not self._stop.is_set():
                vhost = fresh_vhost()
                made = (vhost, vhost.__enter__())
                while not self._offer(made):
                    if self._stop.is_set():
                        self.give_back(vhost)
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the test waiting in take()
            self._failure = exc

    def _offer(self, made: tuple[contextlib.AbstractContextManager[str], str]) -> bool:
        try:
            self._ready.put(made, timeout=0.1)
        except queue.Full:
            return False
        return True


@pytest.fixture(scope="session")
def vhosts() -> Iterator[Vhosts]:
    made = Vhosts()
    yield made
    made.close()


@pytest.fixture
def broker_url(vhosts: Vhosts) -> Iterator[str]:
    """A RabbitMQ vhost of this test's own, deleted afterwards (overrides the session-wide one)."""
    vhost, url = vhosts.take()
    try:
        yield url
    finally:
        vhosts.give_back(vhost)


@contextlib.contextmanager
def _copy_of(template: str) -> Iterator[str]:
    name = f"payflow_it_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(statement: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()
