"""Passwords in connection URLs never reach logs, readiness answers or errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.bootstrap import build_gateway
from app.config import Settings
from tests.support.services import fresh_database, fresh_vhost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "db-pa55-s3cr3t"  # the local cluster trusts 127.0.0.1, so any password is accepted


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def payflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m app.cli ARGS` in a process of its own, with only the environment given."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PAYFLOW_LOG_FORMAT": "text", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_setup_logs_never_show_the_database_or_broker_password() -> None:
    with fresh_database("payflow_secrets") as db, fresh_vhost("payflow-secrets") as vhost:
        done = payflow(
            "setup",
            env={
                "PAYFLOW_DATABASE_URL": with_password(db, DB_PASSWORD),
                "PAYFLOW_BROKER_URL": vhost,
                "PAYFLOW_LOG_LEVEL": "debug",
            },
        )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "migrations applied" in output
    assert DB_PASSWORD not in output
    assert "guest:guest@" not in output


def test_readiness_with_unreachable_dependencies_names_no_password() -> None:
    settings = Settings.from_env(
        {
            "PAYFLOW_DATABASE_URL": f"postgresql+psycopg2://payflow:{DB_PASSWORD}@127.0.0.1:1/payflow",
            "PAYFLOW_BROKER_URL": "amqp://payflow:mq-pa55-s3cr3t@127.0.0.1:1//",
            "PAYFLOW_DB_CONNECT_TIMEOUT_S": "1",
            "PAYFLOW_GATEWAY_DATABASE_URL": f"postgresql+psycopg2://payflow:{DB_PASSWORD}@127.0.0.1:1/payflow",
        }
    )
    client = build_gateway(settings).app.test_client()

    reply = client.get("/api/health/ready")

    checks = reply.get_json()
    assert reply.status_code == 503
    assert checks["database"].startswith("unreachable")
    assert checks["broker"].startswith("unreachable")
    assert "s3cr3t" not in reply.get_data(as_text=True)


def test_a_failing_migration_reports_no_password() -> None:
    url = f"postgresql+psycopg2://payflow:{DB_PASSWORD}@127.0.0.1:1/payflow"

    done = payflow("migrate", env={"PAYFLOW_DATABASE_URL": url})

    assert done.returncode != 0
    assert DB_PASSWORD not in done.stdout + done.stderr
