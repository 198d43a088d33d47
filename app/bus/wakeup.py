"""A self-pipe that handler threads poke when an outcome is ready, so the consumer can sleep in select()."""

from __future__ import annotations

import contextlib
import socket

_CHUNK = 4096


class Wakeup:
    """Readable (for select) from the first `poke` until `clear`; any thread may poke, even once closed."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def fileno(self) -> int:
        return self._reader.fileno()

    def poke(self) -> None:
        # A full buffer already means "readable"; a closed pair belongs to a session that is gone.
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            while self._reader.recv(_CHUNK):
                pass

    def close(self) -> None:
        self._reader.close()
        self._writer.close()
