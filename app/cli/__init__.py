"""The `payflow` command line: one subcommand per operator task, errors as one clear line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import commands, docs, keys, supervisor
from app.config import ConfigError
from app.logs import redact_secrets


class CommandError(Exception):
    """An operator-facing failure: printed as one line, exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payflow", description="Order and payment processing backend.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    supervisor.register(sub)
    docs.register(sub)
    keys.register(sub)
    from app.cli import operator  # noqa: PLC0415 - its commands raise CommandError, defined in this file

    operator.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen subcommand and turn known failures into one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except (ConfigError, CommandError) as exc:
        line = redact_secrets(f"payflow {args.command}: {exc}")  # a URL in a message keeps no password
        print(line, file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 2 if isinstance(exc, ConfigError) else 1
    except KeyboardInterrupt:
        return 130
    return result
