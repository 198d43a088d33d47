"""Running actions at the same moment in several threads, for race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from app.persistence import is_transient

T = TypeVar("T")


def run_together(*actions: Callable[[], Any]) -> list[Any]:
    """Start every action at the same moment in its own thread; their results in order, or the first
    error any of them raised (a deadlock PostgreSQL broke, for instance)."""
    start = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], Any]) -> None:
        start.wait(timeout=10)
        try:
            results[index] = action()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an action is still running after 60 s"
    if errors:
        raise errors[0]
    return results


def until_applied(action: Callable[[], T], attempts: int = 10) -> T:
    """Run `action` again after a transient database failure (a deadlock PostgreSQL broke, say), as the
    bus retries a batch that failed that way."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DBAPIError as exc:
            if not is_transient(exc) or attempt == attempts:
                raise
    raise AssertionError("unreachable")
