"""`payflow watchdog`: holds the module roles to the statement timeouts they could lift themselves."""

import argparse
import functools
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from app.cli.console import first_line, load_settings
from app.config import Settings
from app.jobs import Background, Job
from app.persistence import build_engine, redact_url
from app.persistence.watchdog import Stopped, sweep
from app.process_roles import watchdog_urls

log = logging.getLogger("payflow.watchdog")
STATEMENT_TIMEOUT_MS = 5_000  # the watchdog's own: a pass over pg_stat_activity takes milliseconds
BACKOFF_CAP_S = 5.0


def register(sub: Any) -> None:
    watchdog = sub.add_parser(
        "watchdog", help="cancel the module roles' statements that outlast their statement timeout"
    )
    watchdog.set_defaults(handler=run_watchdog)


def run_watchdog(args: argparse.Namespace) -> int:
    """Watch the primary (and the gateway's replica, if any) until SIGTERM/SIGINT."""
    settings = load_settings("watchdog")
    interval_s = settings.watchdog_interval_ms / 1000
    engines = {server: _engine(settings, url) for server, url in watchdog_urls(settings).items()}
    passes = {server: functools.partial(sweep, engine) for server, engine in engines.items()}
    background = Background(
        [
            Job(f"watchdog-{server}", functools.partial(watch, fn, server, interval_s))
            for server, fn in passes.items()
        ]
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: background.stop.set())
    for server, engine in engines.items():
        log.info("watchdog on the %s (%s), every %.1f s", server, redact_url(str(engine.url)), interval_s)
    while not background.stop.wait(0.5):
        pass
    background.shutdown()
    for engine in engines.values():
        engine.dispose()
    log.info("watchdog stopped")
    return 0


def watch(
    one_pass: Callable[[], list[Stopped]], server: str, interval_s: float, stop: threading.Event
) -> None:
    """Run `one_pass` every `interval_s` until `stop`; a failing database is retried with a doubling delay."""
    delay = interval_s
    while not stop.is_set():
        try:
            for stopped in one_pass():
                log.warning("watchdog on the %s: %s", server, stopped.describe())
            delay = interval_s
        except Exception as exc:  # noqa: BLE001 - the watchdog must outlive any outage of the database
            delay = min(delay * 2, max(BACKOFF_CAP_S, interval_s))
            log.warning(
                "watchdog on the %s: %s; retrying in %.1f s",
                server,
                first_line(getattr(exc, "orig", None) or exc) or type(exc).__name__,
                delay,
            )
        stop.wait(delay)


def _engine(settings: Settings, url: str) -> Engine:
    return build_engine(
        url,
        application_name="payflow-watchdog",
        connect_timeout_s=settings.db_connect_timeout_s,
        dead_after_s=settings.db_dead_after_s,
        statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        pool_size=1,
    )
