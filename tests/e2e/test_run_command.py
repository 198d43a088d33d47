"""`payflow run` (what `make run` starts) answers on its port through nginx, never gunicorn directly, and runs
the statement-timeout watchdog beside the gateway and the workers."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.http import Api
from tests.support.proxy import exchange
from tests.support.services import fresh_database, fresh_vhost, sessions_on
from tests.support.system import ROOT, system_env
from tests.support.waiting import wait_until


def test_payflow_run_puts_nginx_on_its_port_and_keeps_metrics_off_it() -> None:
    with (
        fresh_database("payflow_e2e") as db,
        fresh_vhost("payflow-e2e") as vhost,
        tempfile.TemporaryDirectory() as logs,
        open(Path(logs) / "run.log", "wb") as log,
    ):
        env = system_env(db, vhost)
        bind = env["PAYFLOW_HTTP_BIND"]
        run = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            api = Api(f"http://{bind}/api")
            wait_until(lambda: _ready(api) or run.poll() is not None, timeout=90, what="payflow run to start")
            live = api.get("/health/live")
            watchdog = wait_until(lambda: _watchdog_sessions(db), timeout=30, what="the watchdog to connect")
            metrics = exchange(bind, b"GET /metrics HTTP/1.1\r\nHost: payflow\r\nConnection: close\r\n\r\n")
        finally:
            run.send_signal(signal.SIGTERM)
            exit_code = run.wait(60)
        output = (Path(logs) / "run.log").read_text(errors="replace")

    assert live.status == 200
    assert live.header("Server") == "nginx"
    assert metrics.status == 404
    assert metrics.json()["statusCode"] == 404
    assert "nginx answers on" in output
    assert watchdog == [(f"{make_url(db).database}_watchdog", "payflow-watchdog")]
    assert exit_code == 0, output[-3000:]


def _ready(api: Api) -> bool:
    try:
        return api.get("/health/ready", timeout=2).status == 200
    except OSError:
        return False


def _watchdog_sessions(url: str) -> list[tuple[str, str]]:
    """(role, application) of the watchdog's sessions on the database of `url`."""
    return [(role, app) for _, role, app in sessions_on(url) if app == "payflow-watchdog"]
