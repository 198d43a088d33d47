"""run_periodically keeps calling its function whatever it raises, until told to stop."""

from __future__ import annotations

import threading

from app.bus import run_periodically


def test_a_failing_periodic_task_is_logged_and_run_again_until_stopped() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 3:
            stop.set()
        raise RuntimeError("sweeper hiccup")

    run_periodically(stop, 0.0, flaky, "sweeper")

    assert len(calls) == 3
