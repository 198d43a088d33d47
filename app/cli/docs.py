"""`payflow openapi`: write the gateway's OpenAPI document (the committed copy is docs/openapi.json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.bootstrap import build_gateway
from app.config import Settings
from app.gateway import render_openapi


def register(sub: Any) -> None:
    """Add the `openapi` subcommand."""
    command = sub.add_parser("openapi", help="print or write the gateway's OpenAPI 3 document")
    command.add_argument("--output", type=Path, help="file to write (default: standard output)")
    command.set_defaults(handler=write_openapi)


def write_openapi(args: argparse.Namespace) -> int:
    """Builds the gateway without connecting anywhere and renders the document it serves."""
    text = render_openapi(build_gateway(Settings.from_env()))
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0
