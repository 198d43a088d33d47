"""Passwords in connection URLs never reach logs, readiness answers or errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.bootstrap import readiness
from app.config import Settings
from app.persistence import build_engine
from tests.support.services import fresh_database, fresh_vhost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "db-pa55-s3cr3t"  # the local cluster trusts 127.0.0.1, so any password is accepted


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def test_setup_logs_never_show_the_database_or_broker_password() -> None:
    with fresh_database("payflow_secrets") as db, fresh_vhost("payflow-secrets") as vhost:
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "PAYFLOW_DATABASE_URL": with_password(db, DB_PASSWORD),
            "PAYFLOW_BROKER_URL": vhost,
            "PAYFLOW_LOG_FORMAT": "text",
            "PAYFLOW_LOG_LEVEL": "debug",
        }

        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "setup"],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
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
        }
    )
    engine = build_engine(settings.database_url, application_name="payflow-tests", connect_timeout_s=1)

    checks = readiness(engine, settings)

    engine.dispose()
    assert checks["database"].startswith("unreachable")
    assert checks["broker"].startswith("unreachable")
    assert "s3cr3t" not in str(checks)


def test_a_failing_migration_reports_no_password() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "PAYFLOW_DATABASE_URL": f"postgresql+psycopg2://payflow:{DB_PASSWORD}@127.0.0.1:1/payflow",
        "PAYFLOW_LOG_FORMAT": "text",
    }

    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert DB_PASSWORD not in done.stdout + done.stderr
