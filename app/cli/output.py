"""How operator commands write their results: aligned text for people, one JSON document with --json."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal


def write(line: str = "") -> None:
    """One line on stdout (logs go to stderr, so stdout stays clean for pipes)."""
    sys.stdout.write(f"{line}\n")


def write_json(document: object) -> None:
    """The whole result as one JSON document; ids, times and amounts as strings."""
    write(json.dumps(document, indent=2, default=_plain))


def write_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Columns padded to their widest cell, with a header line."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=False)]
    for row in [list(headers), *cells]:
        write("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
