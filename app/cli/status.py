"""`payflow status`: messages waiting in every queue and events waiting in every outbox."""

from __future__ import annotations

import argparse
from typing import Any

from app.bus import OUTBOX_EXCHANGES, OutboxBacklog, connect, outbox_backlog, queue_depths
from app.cli.commands import load_settings
from app.cli.guards import reaching_services
from app.cli.output import write, write_json, write_table
from app.config import Settings
from app.persistence import build_engine


def register(sub: Any) -> None:
    """Add the `status` subcommand."""
    parser = sub.add_parser("status", help="show queue depths and the outbox backlog of each module")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings("status")
    with reaching_services(settings):
        backlogs = read_backlogs(settings)
        with connect(settings.broker_url) as connection:
            depths = queue_depths(connection, settings.retry_delays_ms)
    if args.json:
        write_json({"queues": depths, "outbox": {b.schema: _document(b) for b in backlogs}})
        return 0
    write_table(("QUEUE", "READY"), sorted(depths.items()))
    write()
    write_table(("OUTBOX", "UNPUBLISHED", "OLDEST WAITING"), map(_row, backlogs))
    return 0


def read_backlogs(settings: Settings) -> list[OutboxBacklog]:
    """The backlog of every outbox a relay publishes."""
    engine = build_engine(settings.database_url, application_name="payflow-status", pool_size=1)
    try:
        return [outbox_backlog(engine, schema) for schema in OUTBOX_EXCHANGES]
    finally:
        engine.dispose()


def _row(backlog: OutboxBacklog) -> tuple[object, ...]:
    age = "-" if backlog.oldest_age_s is None else f"{backlog.oldest_age_s:.1f} s"
    return (backlog.schema, backlog.unpublished, age)


def _document(backlog: OutboxBacklog) -> dict[str, object]:
    return {"unpublished": backlog.unpublished, "oldest_age_s": backlog.oldest_age_s}
