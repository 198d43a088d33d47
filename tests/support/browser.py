"""Headless Chromium from the OS packages, driven over the DevTools protocol on a pipe (no network port)."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# No sandbox (tests run as root), and nothing that would reach outside the machine on its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--remote-debugging-pipe",  # commands on fd 3, replies and events on fd 4, each JSON ending in NUL
)


class Page:
    """One tab: send a command, get its result; events (console, log entries) are kept in `events`."""

    def __init__(self, writer: int, reader: int) -> None:
        self._writer, self._reader = writer, reader
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of `expression` in the page."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def errors(self) -> list[dict[str, Any]]:
        """Errors the page reported: CSP violations, failed loads, console.error, uncaught exceptions."""
        # Verbose entries ("[Violation] handler took 60ms") and warnings are left out: they depend on timing.
        found = []
        for event in self.events:
            method, params = event["method"], event["params"]
            if (
                (method == "Log.entryAdded" and params["entry"]["level"] == "error")
                or (method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"))
                or method == "Runtime.exceptionThrown"
            ):
                found.append(params)
        return found

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._reader], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._reader, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))


@contextmanager
def headless_page() -> Iterator[Page]:
    """A fresh Chromium (empty profile) with one blank tab attached; closed and waited for on exit."""
    commands_read, commands_write = os.pipe()
    events_read, events_write = os.pipe()

    def pipes_on_3_and_4() -> None:
        # Through fresh copies: a pipe already on 3 or 4 would stay close-on-exec after dup2 onto itself.
        commands, events = os.dup(commands_read), os.dup(events_write)
        os.dup2(commands, 3)
        os.dup2(events, 4)

    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=pipes_on_3_and_4,  # noqa: PLW1509 - the child runs no Python threads before exec
            close_fds=False,  # keeps the inheritable 3 and 4; Python's own descriptors are close-on-exec
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(events_write)
        page = Page(commands_write, events_read)
        try:
            target = page.call("Target.createTarget", url="about:blank")["targetId"]
            page.session = page.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                page.call(f"{domain}.enable")
            yield page
        finally:
            os.close(commands_write)  # Chromium exits when its command pipe closes
            os.close(events_read)
            process.wait(timeout=30)


def chromium() -> str:
    """The browser the OS packages install (`chromium` on Debian); CI installs it when missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: apt-get install -y chromium")
    return found
