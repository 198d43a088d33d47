"""Subcommands that prepare the system and run it: setup, migrate, topology, gateway, worker, run."""

import argparse
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from app.bootstrap import ROLES, build_worker, topology
from app.bus import declare_topology_at, make_role_users, migrate_topology_at
from app.cli.console import connection_limits, load_settings, owner_engine
from app.cli.run import GUNICORN, ROOT, run_processes
from app.config import Settings
from app.jobs import Background
from app.persistence import redact_url
from app.persistence.cluster_access import check_other_databases
from app.persistence.migrations import ensure_database, upgrade_all
from app.persistence.roles import role_passwords, secure_database
from app.process_roles import process_roles, process_urls

log = logging.getLogger("payflow.cli")


def register(sub: Any) -> None:
    for name, step, help_text in (
        ("setup", prepare, "create the database if missing, migrate, declare the broker topology"),
        ("migrate", apply_migrations, "apply every module's database migrations"),
    ):
        sub.add_parser(name, help=help_text).set_defaults(handler=functools.partial(_step, step))
    topology_parser = sub.add_parser(
        "topology", help="declare exchanges, queues and bindings, and the process roles' broker users"
    )
    topology_parser.add_argument(
        "--migrate",
        action="store_true",
        help="replace exchanges and queues an older payflow declared differently, moving their messages",
    )
    topology_parser.set_defaults(handler=run_topology)
    gateway = sub.add_parser("gateway", help="run the HTTP gateway under gunicorn (port 3000)")
    gateway.set_defaults(handler=run_gateway)
    worker = sub.add_parser("worker", help="run one queue worker process")
    worker.add_argument("--role", required=True, choices=ROLES, help="which module's queue")
    worker.set_defaults(handler=run_worker)
    run = sub.add_parser(
        "run", help="set up, then run nginx (if installed), the gateway, workers and watchdog until Ctrl-C"
    )
    run.add_argument("--skip-setup", action="store_true", help="do not create/migrate/declare first")
    run.set_defaults(handler=run_all)


def prepare(settings: Settings) -> None:
    if ensure_database(settings.database_url, **connection_limits(settings)):
        log.info("created database %s", redact_url(settings.database_url))
    apply_migrations(settings)
    declare(settings)


def apply_migrations(settings: Settings) -> None:
    with owner_engine(settings, "migrate", pool_size=5) as engine:
        upgrade_all(engine)
        # Re-granted after every migration, so new tables are covered too.
        roles = process_roles(settings)
        secure_database(engine, roles, role_passwords(process_urls(settings), roles))
        with engine.begin() as conn:
            check_other_databases(conn, roles.logins(), dedicated=settings.database_cluster == "dedicated")
    log.info("migrations applied on %s", redact_url(settings.database_url))


def declare(settings: Settings) -> None:
    routes = topology(settings)
    declare_topology_at(settings.broker_url, routes)
    log.info("broker topology declared on %s", redact_url(settings.broker_url))
    role_urls = {role: getattr(settings, f"{role}_broker_url") for role in ("gateway", *ROLES)}
    make_role_users(routes, role_urls, settings.broker_url, settings.broker_admin_url)


def run_topology(args: argparse.Namespace) -> int:
    """Declare the topology; with --migrate, first replace what an older payflow declared differently."""
    settings = load_settings("topology")
    if args.migrate:
        replaced = migrate_topology_at(settings.broker_url, topology(settings))
        log.info("replaced on %s: %s", redact_url(settings.broker_url), ", ".join(replaced) or "nothing")
    declare(settings)  # and the process roles' broker users
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    """Replace this process with gunicorn serving wsgi:app (settings come from gunicorn.conf.py)."""
    load_settings("gateway")
    os.chdir(ROOT)
    os.execvp(sys.executable, GUNICORN)


def run_worker(args: argparse.Namespace) -> int:
    """Consume the role's queue until SIGTERM/SIGINT, then finish in-flight messages and exit."""
    settings = load_settings(f"{args.role}-worker")
    os.nice(settings.worker_nice)  # before any thread starts: threads take the niceness they are born with
    worker = build_worker(settings, args.role)
    background = Background(worker.jobs)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: background.stop.set())
    log.info("%s worker consuming", args.role)
    worker.consumer.run(background.stop)
    background.shutdown()
    log.info("%s worker stopped", args.role)
    return 0


def run_all(args: argparse.Namespace) -> int:
    """Set up (unless told not to), then run every process in the foreground."""
    settings = load_settings("run")
    if not args.skip_setup:
        prepare(settings)
    return run_processes(settings)


def _step(step: Callable[[Settings], None], args: argparse.Namespace) -> int:
    step(load_settings(args.command))
    return 0
