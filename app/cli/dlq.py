"""`payflow dlq list|replay`: show dead-lettered messages with their reasons, send chosen ones back."""

import argparse
import json
from dataclasses import asdict
from typing import Any

from app.bootstrap import ROLES
from app.bus import DeadLetter, inbox_name, list_dead_letters, replay_dead_letters
from app.cli.console import CommandError, positive_int, reaching_services, write, write_json, write_table

QUEUES = tuple(map(inbox_name, ROLES))
PROGRESS_EVERY = 100


def register(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="inspect and replay dead-lettered messages")
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="show dead letters with their reason, oldest first, left in place"
    )
    listing.add_argument("--queue", choices=(*QUEUES, "all"), default="all", help="whose dead letters")
    listing.add_argument(
        "--limit", type=positive_int, default=100, metavar="N", help="the oldest N of each queue"
    )
    listing.add_argument("--json", action="store_true", help="print one JSON document, bodies included")
    listing.set_defaults(handler=_list)
    replay = actions.add_parser(
        "replay", help="send dead letters back to their queue as fresh messages (attempts reset)"
    )
    replay.add_argument("--queue", choices=QUEUES, required=True, help="whose dead letters")
    replay.add_argument(
        "--id", dest="ids", action="extend", nargs="+", metavar="MESSAGE_ID", help="replay one copy of each"
    )
    replay.add_argument("--all", action="store_true", help="replay every dead letter of the queue")
    replay.set_defaults(handler=_replay)


def _list(args: argparse.Namespace) -> int:
    queues = QUEUES if args.queue == "all" else (args.queue,)
    with reaching_services("dlq") as settings:
        found = {queue: list_dead_letters(settings.broker_url, queue) for queue in queues}
    if args.json:
        write_json({queue: [asdict(letter) for letter in found[queue][: args.limit]] for queue in queues})
        return 0
    for queue, letters in found.items():
        shown = letters[: args.limit]
        write(f"{queue}: {_how_many(len(shown), len(letters))}")
        if shown:
            write_table(("MESSAGE ID", "TYPE", "ATTEMPTS", "DEAD-LETTERED AT", "ERROR"), map(_row, shown))
    return 0


def _how_many(shown: int, total: int) -> str:
    if shown < total:
        return f"the oldest {shown} of {total} dead letter(s)"
    return f"{total} dead letter(s)"


def _replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise CommandError("say which messages: --id MESSAGE_ID ... or --all (not both)")
    chosen = None if args.all else set(args.ids)
    with reaching_services("dlq") as settings:
        replayed = replay_dead_letters(settings.broker_url, args.queue, chosen, progress=_show_progress)
    write(f"replayed {replayed} dead letter(s) of {args.queue}")
    if chosen is not None and replayed < len(chosen):
        raise CommandError(
            f"{len(chosen) - replayed} of the chosen ids are not among {args.queue}'s dead letters"
        )
    return 0


def _show_progress(replayed: int) -> None:
    if replayed % PROGRESS_EVERY == 0:
        write(f"... {replayed} replayed")


def _row(letter: DeadLetter) -> tuple[object, ...]:
    stamp = "-" if letter.dead_lettered_at is None else letter.dead_lettered_at.isoformat(timespec="seconds")
    return (letter.message_id or "-", _event_type(letter.body), letter.attempts, stamp, letter.error or "-")


def _event_type(body: str) -> str:
    """The envelope's type, or `?` for a body that is not an envelope (a poison message, often)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "?"
    return str(parsed.get("type", "?")) if isinstance(parsed, dict) else "?"
