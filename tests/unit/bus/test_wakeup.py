"""Wakeup: the self-pipe that lets the consumer thread sleep in select() until a handler finishes."""

from __future__ import annotations

import select
import threading

from app.bus.wakeup import Wakeup


def readable(wakeup: Wakeup, timeout: float = 0.0) -> bool:
    ready, _, _ = select.select([wakeup], [], [], timeout)
    return bool(ready)


def test_a_poke_from_another_thread_ends_a_select_waiting_on_it() -> None:
    wakeup = Wakeup()
    poker = threading.Thread(target=wakeup.poke)

    poker.start()
    woke = readable(wakeup, timeout=5.0)
    poker.join()

    assert woke
    wakeup.close()


def test_clearing_makes_it_quiet_again_however_often_it_was_poked() -> None:
    wakeup = Wakeup()
    for _ in range(1000):
        wakeup.poke()

    wakeup.clear()

    assert not readable(wakeup)
    wakeup.close()


def test_poking_a_closed_wakeup_is_harmless() -> None:
    wakeup = Wakeup()
    wakeup.close()

    wakeup.poke()
    wakeup.clear()
