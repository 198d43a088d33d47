"""Subcommands for the gateway's clients: `openapi` (committed as docs/openapi.json) and `hash-key`."""

import argparse
import sys
from pathlib import Path
from typing import Any

from app.bootstrap import build_gateway
from app.cli.console import CommandError
from app.config import Settings
from app.gateway import hash_key, render_openapi


def register(sub: Any) -> None:
    openapi = sub.add_parser("openapi", help="print or write the gateway's OpenAPI 3 document")
    openapi.add_argument("--output", type=Path, help="file to write (default: standard output)")
    openapi.set_defaults(handler=write_openapi)
    sub.add_parser(
        "hash-key",
        help="read an API key from stdin, print its sha256:<hex> digest for PAYFLOW_API_KEY_HASHES",
    ).set_defaults(handler=print_key_hash)


def write_openapi(args: argparse.Namespace) -> int:
    """Builds the gateway without connecting anywhere and renders the document it serves."""
    text = render_openapi(build_gateway(Settings.from_env()).app)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


def print_key_hash(args: argparse.Namespace) -> int:
    """The key comes from stdin (never argv, which other users can see in `ps` and shells keep in history)."""
    key = sys.stdin.readline().strip()
    if not key:
        raise CommandError("no key on stdin")
    sys.stdout.write(f"{hash_key(key)}\n")
    return 0
