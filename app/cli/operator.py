"""The operator's subcommands, registered together: reconcile, dlq, republish, status."""

from __future__ import annotations

from typing import Any

from app.cli import dlq, reconcile, republish, status


def register(sub: Any) -> None:
    """Add every operator subcommand to the parser."""
    for command in (reconcile, dlq, republish, status):
        command.register(sub)
