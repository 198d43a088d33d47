"""Running a maintenance function periodically on its own thread (sweeper, purges) without ever dying."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def run_periodically(stop: threading.Event, interval_s: float, fn: Callable[[], object], name: str) -> None:
    """Call `fn` now, then every `interval_s` until `stop` is set; exceptions are logged, not raised."""
    while not stop.is_set():
        try:
            fn()
        except Exception:
            log.exception("periodic task %s failed; next run in %.0f s", name, interval_s)
        stop.wait(interval_s)
