"""`payflow status`: messages waiting in every queue, events in every outbox, releases the sweeper owes."""

import argparse
from typing import Any

from app import payments
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
        backlogs, (owed, oldest) = read_database(settings)
        with connect(settings.broker_url) as connection:
            depths = topology(settings).depths(connection)
    if args.json:
        outbox = {b.schema: {"unpublished": b.unpublished, "oldest_age_s": b.oldest_age_s} for b in backlogs}
        write_json(
            {"queues": depths, "outbox": outbox, "releases_owed": {"count": owed, "oldest_age_s": oldest}}
        )
        return 0
    write_table(("QUEUE", "READY"), sorted(depths.items()))
    write()
    write_table(("OUTBOX", "UNPUBLISHED", "OLDEST WAITING"), map(_row, backlogs))
    write()
    write_table(("RELEASES OWED", "OLDEST WAITING"), [(owed, _age(oldest))])
    return 0


def read_database(settings: Settings) -> tuple[list[OutboxBacklog], tuple[int, float | None]]:
    """The backlog of every outbox, and the releases owed (how many, the oldest's age), on one engine."""
    with owner_engine(settings, "status") as engine:
        backlogs = [outbox_backlog(engine, table) for table in OUTBOXES.values()]
        return backlogs, payments.PaymentQueries(engine).releases_owed()


def _row(backlog: OutboxBacklog) -> tuple[object, ...]:
    return (backlog.schema, backlog.unpublished, _age(backlog.oldest_age_s))


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"
