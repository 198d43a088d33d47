"""Running actions at the same moment in several threads, for race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(*actions: Callable[[], object]) -> None:
    """Start every action at the same moment in its own thread and fail if any of them raised."""
    start = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        start.wait(timeout=10)
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
