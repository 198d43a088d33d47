"""The `payflow` command line: one subcommand per operator task, errors as one clear line."""

import argparse
import os
import select
import sys
from collections.abc import Sequence

from app.bus import MigrationRefused, TopologyMismatch
from app.cli import api, commands, dlq, history, reconcile, republish, status, watchdog
from app.cli.console import CommandError
from app.config import ConfigError
from app.logs import redact_secrets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payflow", description="Order and payment processing backend.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (commands, watchdog, api, reconcile, history, dlq, republish, status):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen subcommand and turn known failures into one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the operator gets one line, never a traceback
        if isinstance(exc, BrokenPipeError) and _reader_left():
            return 141  # as a process that SIGPIPE ended: `payflow dlq list | head` says nothing more
        known = isinstance(exc, ConfigError | CommandError | TopologyMismatch | MigrationRefused)
        reason = str(exc) if known else f"{type(exc).__name__}: {exc}".splitlines()[0]
        # A URL in a message keeps no password.
        print(redact_secrets(f"payflow {args.command}: {reason}"), file=sys.stderr)  # noqa: T201 - error channel
        return 2 if isinstance(exc, ConfigError) else 1
    return result


def _reader_left() -> bool:
    """True when stdout is a pipe whose reader is gone (poll says POLLERR); stdout then goes to /dev/null,
    so that Python's own flush at exit stays quiet too."""
    try:
        stdout = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (replaced, say): nothing to tell
        return False
    poller = select.poll()
    poller.register(stdout, select.POLLOUT)
    if not any(events & select.POLLERR for _, events in poller.poll(0)):
        return False
    os.dup2(os.open(os.devnull, os.O_WRONLY), stdout)
    return True
