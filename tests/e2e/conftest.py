"""The whole system as real processes on a database and vhost of its own, shared by one test module."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env


@pytest.fixture(scope="module")
def system() -> Iterator[RunningSystem]:
    """gunicorn + orders worker + payments worker, set up by `payflow setup`, stopped with SIGTERM."""
    with (
        fresh_database("payflow_e2e") as db,
        fresh_vhost("payflow-e2e") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        # debug: workers then log each state change, with the ids the log tests look for
        running = RunningSystem(system_env(db, vhost, PAYFLOW_LOG_LEVEL="debug"), Path(logs))
        running.setup()
        running.start_all()
        try:
            yield running
        finally:
            exit_codes = running.stop_all()
        assert exit_codes == {"gateway": 0, "orders": 0, "payments": 0}, exit_codes
