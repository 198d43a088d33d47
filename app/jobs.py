"""Jobs a process runs on threads beside its main work (relays, sweeps, purges), and starting them."""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A loop that runs until the stop event it is given is set; `interrupt` cuts short a wait of its own
    (a relay idling for rows), so that stopping does not wait for it."""

    name: str
    run: Callable[[threading.Event], None]
    interrupt: Callable[[], object] = lambda: None

    @classmethod
    def every(cls, name: str, interval_s: float, fn: Callable[[], object]) -> Self:
        return cls(name, lambda stop: run_periodically(stop, interval_s, fn, name))


class Background:
    """Daemon threads running jobs; `shutdown` stops them all."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self.stop = threading.Event()
        self._jobs = list(jobs)
        self._threads = [
            threading.Thread(target=job.run, args=(self.stop,), name=job.name, daemon=True) for job in jobs
        ]
        for thread in self._threads:
            thread.start()

    def shutdown(self, timeout_s: float = 10.0) -> None:
        self.stop.set()
        for job in self._jobs:
            job.interrupt()
        for thread in self._threads:
            thread.join(timeout_s / max(len(self._threads), 1))


def run_periodically(stop: threading.Event, interval_s: float, fn: Callable[[], object], name: str) -> None:
    """Call `fn` now, then every `interval_s` until `stop` is set; exceptions are logged, not raised."""
    while not stop.is_set():
        try:
            fn()
        except Exception:
            log.exception("periodic task %s failed; next run in %.0f s", name, interval_s)
        stop.wait(interval_s)
