"""`payflow status`: messages waiting in every queue and events waiting in every outbox."""

import argparse
from typing import Any

from app.bootstrap import OUTBOXES, topology
from app.bus import OutboxBacklog, connect, outbox_backlog
from app.cli.console import owner_engine, reaching_services, write, write_json, write_table
from app.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("status", help="show queue depths and the outbox backlog of each module")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    with reaching_services("status") as settings:
        backlogs = read_backlogs(settings)
        with connect(settings.broker_url) as connection:
            depths = topology(settings).depths(connection)
    if args.json:
        outbox = {b.schema: {"unpublished": b.unpublished, "oldest_age_s": b.oldest_age_s} for b in backlogs}
        write_json({"queues": depths, "outbox": outbox})
        return 0
    write_table(("QUEUE", "READY"), sorted(depths.items()))
    write()
    write_table(("OUTBOX", "UNPUBLISHED", "OLDEST WAITING"), map(_row, backlogs))
    return 0


def read_backlogs(settings: Settings) -> list[OutboxBacklog]:
    with owner_engine(settings, "status") as engine:
        return [outbox_backlog(engine, table) for table in OUTBOXES.values()]


def _row(backlog: OutboxBacklog) -> tuple[object, ...]:
    age = "-" if backlog.oldest_age_s is None else f"{backlog.oldest_age_s:.1f} s"
    return (backlog.schema, backlog.unpublished, age)
