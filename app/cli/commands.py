"""Subcommands that prepare the system and run one process: setup, migrate, topology, gateway, worker."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any

from app.bootstrap import Background, build_worker
from app.cli.operations import apply_migrations, declare, prepare
from app.config import Settings
from app.logs import configure_logging

log = logging.getLogger("payflow.cli")


def register(sub: Any) -> None:
    """Add this file's subcommands to the parser."""
    sub.add_parser(
        "setup", help="create the database if missing, migrate, declare the broker topology"
    ).set_defaults(handler=setup)
    sub.add_parser("migrate", help="apply every module's database migrations").set_defaults(handler=migrate)
    sub.add_parser("topology", help="declare exchanges, queues and bindings").set_defaults(handler=topology)
    gateway = sub.add_parser("gateway", help="run the HTTP gateway under gunicorn (port 3000)")
    gateway.set_defaults(handler=run_gateway)
    worker = sub.add_parser("worker", help="run one queue worker process")
    worker.add_argument("--role", required=True, choices=("orders", "payments"), help="which module's queue")
    worker.set_defaults(handler=run_worker)


def load_settings(process: str) -> Settings:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, process)
    return settings


def setup(args: argparse.Namespace) -> int:
    """Everything a fresh machine lacks: database, schemas, migrations, broker topology."""
    prepare(load_settings("setup"))
    return 0


def migrate(args: argparse.Namespace) -> int:
    apply_migrations(load_settings("migrate"))
    return 0


def topology(args: argparse.Namespace) -> int:
    declare(load_settings("topology"))
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    """Replace this process with gunicorn serving wsgi:app (settings come from gunicorn.conf.py)."""
    load_settings("gateway")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.chdir(root)
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"])


def run_worker(args: argparse.Namespace) -> int:
    """Consume the role's queue until SIGTERM/SIGINT, then finish in-flight messages and exit."""
    settings = load_settings(f"{args.role}-worker")
    background = Background()
    worker = build_worker(settings, args.role, background)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: background.stop.set())
    log.info("%s worker consuming", args.role)
    worker.run(background.stop)
    background.shutdown()
    log.info("%s worker stopped", args.role)
    return 0
