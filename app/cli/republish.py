"""`payflow republish`: mark retained outbox events for sending again, by id or time range."""

import argparse
import uuid
from typing import Any

from app.bootstrap import OUTBOXES
from app.bus import absent_events, mark_for_republish
from app.cli.console import CommandError, iso_time, owner_engine, reaching_services, uuid_of, write


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "republish",
        help="re-publish retained outbox events by id or time range (consumers deduplicate)",
        description="Marks published events of one outbox unpublished; the running relays send them again.",
    )
    parser.add_argument("--schema", choices=tuple(OUTBOXES), required=True, help="whose outbox")
    parser.add_argument(
        "--event-id",
        action="extend",
        nargs="+",
        type=uuid_of("an event id"),
        metavar="ID",
        help="re-publish these events",
    )
    parser.add_argument("--since", type=iso_time, metavar="ISO", help="events created at or after this time")
    parser.add_argument("--until", type=iso_time, metavar="ISO", help="... and before this time")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.until is not None and args.since is None:
        raise CommandError("--until needs --since")
    if bool(args.event_id) == (args.since is not None):
        raise CommandError("say which events: --event-id ID ... or --since ISO [--until ISO] (not both)")
    if args.until is not None and args.until <= args.since:
        raise CommandError("--until must be later than --since (the range would hold no event)")
    outbox, absent = OUTBOXES[args.schema], set[uuid.UUID]()
    with reaching_services("republish") as settings, owner_engine(settings, "republish") as engine:
        marked = mark_for_republish(
            engine, outbox, event_ids=args.event_id, since=args.since, until=args.until
        )
        if args.event_id:
            absent = absent_events(engine, outbox, args.event_id)
    write(
        f"queued {marked} event(s) of the {args.schema} outbox for re-publishing (running relays send them)"
    )
    if args.event_id and (unsent := len(set(args.event_id)) - marked - len(absent)):
        write(
            f"{unsent} id(s) not queued: not published yet (the relays send them anyway), or without a body"
        )
    if absent:
        ids = ", ".join(sorted(map(str, absent)))
        raise CommandError(
            f"{len(absent)} id(s) are not in the {args.schema} outbox (never, or purged): {ids}"
        )
    return 0
