"""The whole system, with an API key configured, for the fuzzer; and a tally of the requests it sent."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.gateway import hash_key
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env

API_KEY = "pf_fuzz_0123456789abcdef"


@dataclass
class FuzzTarget:
    """Where the gateway listens, the key it accepts, and how many requests each operation received."""

    base_url: str
    api_key: str
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    refused_by_server: Counter[str] = field(default_factory=Counter)  # by gunicorn, before the app


TARGET = pytest.StashKey[FuzzTarget]()


@pytest.fixture(scope="session")
def fuzz_target(pytestconfig: pytest.Config) -> Iterator[FuzzTarget]:
    """gunicorn + both workers on a database and vhost of their own, authentication on."""
    with (
        fresh_database("payflow_fuzz") as db,
        fresh_vhost("payflow-fuzz") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        env = system_env(db, vhost, PAYFLOW_API_KEY_HASHES=hash_key(API_KEY))
        running = RunningSystem(env, Path(logs))
        running.setup()
        running.start_all()
        target = FuzzTarget(f"http://{env['PAYFLOW_HTTP_BIND']}", API_KEY)
        pytestconfig.stash[TARGET] = target
        try:
            yield target
        finally:
            exit_codes = running.stop_all()
        assert exit_codes == {"gateway": 0, "orders": 0, "payments": 0}, exit_codes
        gateway_log = running.logs("gateway")
        assert "Traceback" not in gateway_log, gateway_log[gateway_log.find("Traceback") - 500 :][:3000]
        assert API_KEY not in gateway_log  # the key the fuzzer sent on every request is never logged


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the fuzzer sent, per operation, and the statuses it got (printed after the test results)."""
    target = terminalreporter.config.stash.get(TARGET, None)
    if target is None:
        return
    terminalreporter.write_sep("-", f"fuzzer: {sum(target.sent.values())} requests")
    for operation, count in sorted(target.sent.items()):
        terminalreporter.write_line(f"{count:6d}  {operation}")
    terminalreporter.write_line(f"statuses: {dict(sorted(target.statuses.items()))}")
    terminalreporter.write_line(f"refused by gunicorn: {dict(sorted(target.refused_by_server.items()))}")
