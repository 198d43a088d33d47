"""`payflow run`: set everything up, then run the gateway and both workers in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from app.cli.commands import load_settings
from app.cli.operations import prepare

log = logging.getLogger("payflow.run")
ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 30.0


def register(sub: Any) -> None:
    """Add the `run` subcommand."""
    run = sub.add_parser("run", help="set up, then run gateway + orders and payments workers until Ctrl-C")
    run.add_argument("--skip-setup", action="store_true", help="do not create/migrate/declare first")
    run.set_defaults(handler=run_all)


def child_commands() -> dict[str, list[str]]:
    """The processes a local run starts, each the same command an operator would type."""
    return {
        "gateway": [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        "orders-worker": [sys.executable, "worker.py", "--role", "orders"],
        "payments-worker": [sys.executable, "worker.py", "--role", "payments"],
    }


def run_all(args: argparse.Namespace) -> int:
    """Start every process, stop them all when one dies or on SIGINT/SIGTERM."""
    settings = load_settings("run")
    if not args.skip_setup:
        prepare(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    children = {name: _spawn(cmd) for name, cmd in child_commands().items()}
    log.info("running %s; Ctrl-C stops everything", ", ".join(children))
    failed = _wait_for_stop_or_exit(children, stop)
    _terminate(children)
    return 1 if failed else 0


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C reaches only us, and we stop children gracefully with SIGTERM.
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), start_new_session=True)


def _wait_for_stop_or_exit(children: dict[str, subprocess.Popen[bytes]], stop: threading.Event) -> bool:
    while not stop.wait(0.5):
        for name, child in children.items():
            if child.poll() is not None:
                log.error("%s exited with code %s; stopping the others", name, child.returncode)
                return True
    return False


def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children.items():
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", name, STOP_TIMEOUT_S)
            child.kill()
    log.info("all processes stopped")
