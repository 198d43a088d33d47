"""The operator's console: argument types in; aligned text or one JSON document out; failures as one line."""

import argparse
import contextlib
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from app.bootstrap import SWEEP_INTERVAL_S
from app.bus import BROKER_FAILURES
from app.config import Settings
from app.logs import configure_logging, escape_controls
from app.persistence import build_engine, redact_url


class CommandError(Exception):
    """An operator-facing failure: printed as one line, exit code 1."""


def load_settings(process: str) -> Settings:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, process)
    return settings


@contextlib.contextmanager
def reaching_services(process: str) -> Iterator[Settings]:
    """The settings of `process`; a database or broker failure inside the block becomes one line naming
    the (redacted) URL."""
    settings = load_settings(process)
    try:
        yield settings
    except DBAPIError as exc:
        raise CommandError(f"database {redact_url(settings.database_url)}: {first_line(exc.orig)}") from None
    except BROKER_FAILURES as exc:
        reason = first_line(exc) or type(exc).__name__
        raise CommandError(f"broker {redact_url(settings.broker_url)}: {reason}") from None


def connection_limits(settings: Settings) -> dict[str, Any]:
    """How long an operator's connection waits to be accepted, and for a silent server (engine.py)."""
    return {"connect_timeout_s": settings.db_connect_timeout_s, "dead_after_s": settings.db_dead_after_s}


@contextlib.contextmanager
def owner_engine(settings: Settings, process: str, pool_size: int = 1, **options: Any) -> Iterator[Engine]:
    """An engine on PAYFLOW_DATABASE_URL (operator tools act as the owner), disposed on exit."""
    limits, name = connection_limits(settings) | options, f"payflow-{process}"
    engine = build_engine(settings.database_url, application_name=name, pool_size=pool_size, **limits)
    try:
        yield engine
    finally:
        engine.dispose()


def iso_time(raw: str) -> datetime:
    """An ISO 8601 timestamp; one without a zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an ISO 8601 time (e.g. 2026-11-26T09:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def positive_int(raw: str) -> int:
    with contextlib.suppress(ValueError):
        if (value := int(raw)) > 0:
            return value
    raise argparse.ArgumentTypeError(f"{raw!r} is not a positive whole number")


def uuid_of(what: str) -> Callable[[str], uuid.UUID]:
    """An argument type reading a UUID, whose refusal names `what` it should have been."""

    def read(raw: str) -> uuid.UUID:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not {what} (a UUID)") from None

    return read


def non_negative_int(raw: str) -> int:
    if not raw.isdigit():
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of zero or more")
    return int(raw)


# Two of the payments sweeper's rounds: a payment past its deadline is failed by then (by a worker consuming).
SWEEPS_S = round(2 * SWEEP_INTERVAL_S)


def add_stuck_after(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stuck-after",
        type=non_negative_int,
        metavar="SECONDS",
        help=f"unsettled work unchanged this long counts as stuck (default: PAYFLOW_PAYMENT_DEADLINE_S + "
        f"{SWEEPS_S}, since a payment may wait that long for the provider's answer or the sweeper)",
    )


def stuck_after_s(args: argparse.Namespace, settings: Settings) -> int:
    """--stuck-after, or the payment deadline and two sweeps: a PROCESSING payment is not stuck before."""
    given: int | None = args.stuck_after
    return settings.payment_deadline_s + SWEEPS_S if given is None else given


def write(line: str = "") -> None:
    """One line on stdout (logs go to stderr, so stdout stays clean for pipes)."""
    sys.stdout.write(f"{line}\n")


def write_json(document: object) -> None:
    """The whole result as one JSON document; ids, times and amounts as strings."""
    write(
        json.dumps(document, indent=2, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))
    )


def write_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Aligned columns; a cell is escaped as the text logs are (`\\n`, `\\x1b`, a backslash doubled): what a
    message carried must neither forge a row nor drive the terminal, nor pass for an escape."""
    cells = [[escape_controls(str(cell)) for cell in row] for row in rows]
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=False)]
    for row in [list(headers), *cells]:
        write("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())


def first_line(error: object) -> str:
    """The first line of what `error` says ("" when it says nothing)."""
    return next(iter(str(error).strip().splitlines()), "")
