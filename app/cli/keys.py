"""`payflow hash-key`: turn an API key read from stdin into the digest PAYFLOW_API_KEY_HASHES holds."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.gateway import hash_key


def register(sub: Any) -> None:
    """Add `hash-key` to the parser."""
    sub.add_parser(
        "hash-key",
        help="read an API key from stdin, print its sha256:<hex> digest for PAYFLOW_API_KEY_HASHES",
    ).set_defaults(handler=print_key_hash)


def print_key_hash(args: argparse.Namespace) -> int:
    """The key comes from stdin (never argv, which other users can see in `ps` and shells keep in history)."""
    key = sys.stdin.readline().strip()
    if not key:
        print("payflow hash-key: no key on stdin", file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 1
    print(hash_key(key))  # noqa: T201 - the digest is the command's output
    return 0
