"""Turning an unreachable or unprepared database or broker into one clear CommandError, not a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

from app.bus import BROKER_FAILURES
from app.cli.errors import CommandError
from app.config import Settings
from app.persistence import redact_url


@contextlib.contextmanager
def reaching_services(settings: Settings) -> Iterator[None]:
    """Report a database or broker failure inside the block as one line naming the (redacted) URL."""
    try:
        yield
    except DBAPIError as exc:
        reason = _first_line(str(exc.orig))
        raise CommandError(f"database {redact_url(settings.database_url)}: {reason}") from None
    except BROKER_FAILURES as exc:
        reason = _first_line(str(exc)) or type(exc).__name__
        raise CommandError(f"broker {redact_url(settings.broker_url)}: {reason}") from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
