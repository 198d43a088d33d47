"""Fixtures for the replica tests: a primary of the tests' own, its replica, gateways reading from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app.bootstrap import build_gateway
from app.config import Settings
from app.jobs import Background
from app.persistence import build_engine
from app.persistence.migrations import upgrade_all
from app.persistence.roles import secure_database
from app.process_roles import process_roles
from tests.integration.gateway.replicas import Replicated, Start
from tests.support.own_postgres import own_postgres
from tests.support.own_replica import caught_up, own_replica
from tests.support.services import fresh_database
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    with (
        own_postgres() as primary,
        own_replica(primary) as replica,
        fresh_database("payflow_ro", primary.admin_url) as url,
    ):
        engine = build_engine(url, application_name="payflow-tests")
        upgrade_all(engine)
        secure_database(engine, process_roles(Settings.from_env({"PAYFLOW_DATABASE_URL": url})))
        wait_until(lambda: caught_up(primary, replica), timeout=30, what="the replica to replay the setup")
        yield Replicated(primary, replica, url, engine)
        engine.dispose()


def first_check_done(client: FlaskClient) -> bool:
    """Reads stay on the primary until the router's first check of the replica has run."""
    return bool(client.get("/api/health/ready").get_json()["replica"]["problem"] != "not checked yet")


@pytest.fixture
def start_gateway(replicated: Replicated, broker_url: str) -> Iterator[Start]:
    """Builds the gateway reading from the replica, as a gunicorn worker does, and runs its jobs."""
    running: list[Background] = []

    def start(**env: str) -> FlaskClient:
        given = {"PAYFLOW_DATABASE_URL": replicated.url, "PAYFLOW_READ_DATABASE_URL": replicated.replica_url}
        settings = Settings.from_env(
            given | {"PAYFLOW_BROKER_URL": broker_url, "PAYFLOW_LOG_FORMAT": "text"} | env
        )
        gateway = build_gateway(settings)
        running.append(Background(gateway.jobs))
        client = gateway.app.test_client()
        wait_until(lambda: first_check_done(client), timeout=30, what="the replica's first check")
        return client

    yield start
    for background in running:
        background.shutdown()
