"""run_periodically keeps calling its function whatever it raises, until told to stop; reconnect loops
back off exponentially up to a cap."""

from __future__ import annotations

import threading
import time

import pytest

from app.bus.broker import Backoff
from app.jobs import Background, Job, run_periodically
from tests.support.waiting import wait_until


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


def test_a_periodic_task_runs_at_once_then_again_after_each_interval_until_stopped() -> None:
    stop = threading.Event()
    calls: list[int] = []
    runner = threading.Thread(target=run_periodically, args=(stop, 0.01, lambda: calls.append(1), "purge"))

    runner.start()
    wait_until(lambda: len(calls) >= 3, timeout=5, what="three runs of the periodic task")
    stop.set()
    runner.join(timeout=5)

    assert not runner.is_alive()
    assert len(calls) >= 3


def test_a_runner_stopped_before_it_starts_runs_nothing() -> None:
    stop = threading.Event()
    stop.set()
    calls: list[int] = []

    run_periodically(stop, 0.0, lambda: calls.append(1), "gauges")

    assert calls == []


def test_a_failure_is_logged_with_the_task_name(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()

    def fails_once() -> None:
        stop.set()
        raise RuntimeError("database away")

    run_periodically(stop, 0.0, fails_once, "payments-sweeper")

    assert "periodic task payments-sweeper failed" in caplog.text
    assert "database away" in caplog.text


def test_reconnect_delays_double_up_to_the_cap_and_start_over_after_a_reset() -> None:
    backoff = Backoff(initial=0.2, cap=1.0)

    delays = [backoff.next() for _ in range(5)]
    backoff.reset()

    assert delays == [0.2, 0.4, 0.8, 1.0, 1.0]
    assert backoff.next() == 0.2


def test_stopping_background_jobs_interrupts_a_long_wait_of_their_own() -> None:
    idle = threading.Event()

    def idles(stop: threading.Event) -> None:
        while not stop.is_set():
            idle.wait(600)  # as a relay waits for rows

    background = Background([Job("relay", idles, idle.set)])
    started = time.monotonic()

    background.shutdown(timeout_s=5)

    assert time.monotonic() - started < 5
    assert not any(thread.is_alive() for thread in threading.enumerate() if thread.name == "relay")
