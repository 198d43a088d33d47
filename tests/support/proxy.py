"""A real nginx from the repo's template in front of a running gateway, and raw HTTP exchanges with it."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli.proxy import ProxyLimits, find_nginx, nginx_command
from tests.support.system import free_port
from tests.support.waiting import wait_until


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header's values joined with ", "
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextlib.contextmanager
def running_proxy(upstream: str, limits: ProxyLimits | None = None) -> Iterator[str]:
    """nginx on a free local port in front of `upstream` (host:port); yields its host:port."""
    nginx = find_nginx()
    assert nginx is not None, "nginx is not installed (CI installs it: apt-get install nginx-light)"
    address = f"127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="payflow-nginx-") as prefix:
        command = nginx_command(nginx, Path(prefix), address, upstream, limits)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: _accepts(address), timeout=10, what=f"nginx to listen on {address}")
            yield address
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(10)


def _accepts(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def exchange(address: str, request: bytes, timeout: float = 10.0) -> RawResponse:
    """Send `request` exactly as given and read the answer until the server closes the connection."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for name, _, value in (line.partition(":") for line in lines):
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return RawResponse(int(status_line.split()[1]), headers, body)
