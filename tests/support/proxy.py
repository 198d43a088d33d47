"""A real nginx from the repo's template in front of a running gateway, and raw HTTP exchanges with it."""

from __future__ import annotations

import contextlib
import json
import select
import signal
import socket
import subprocess
import tempfile
import time
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


def exchange(address: str, request: bytes, timeout: float = 10.0, source: str = "") -> RawResponse:
    """Send `request` exactly as given and read the answer until the server closes the connection;
    from the local address `source` when given (any of 127.0.0.0/8 reaches a server on 127.0.0.1)."""
    with _connect(address, timeout, source) as sock:
        sock.sendall(request)
        return parse(_read_to_close(sock))


def parse(received: bytes) -> RawResponse:
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for name, _, value in (line.partition(":") for line in lines):
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return RawResponse(int(status_line.split()[1]), headers, body)


@dataclass(frozen=True)
class SlowSend:
    """How a request sent in pieces ended: the pieces that went out before the server answered or
    closed, what it sent back (b"" when it closed without a word), and the seconds that took."""

    pieces_sent: int
    received: bytes
    seconds: float


def send_slowly(address: str, pieces: list[bytes], pause_s: float, timeout: float = 5.0) -> SlowSend:
    """Send `pieces` with a pause of `pause_s` after each (cut short when the server answers or closes),
    then read until the server closes; a server that neither answers nor closes within `timeout` of the
    last piece is a socket timeout."""
    with _connect(address, timeout) as sock:
        started, sent = time.monotonic(), 0
        for piece in pieces:
            if not _send(sock, piece):
                break
            sent += 1
            if select.select([sock], [], [], pause_s)[0]:  # answered or closed: stop sending
                break
        received = _read_to_close(sock)
        return SlowSend(sent, received, time.monotonic() - started)


def _connect(address: str, timeout: float, source: str = "") -> socket.socket:
    host, port = address.rsplit(":", 1)
    return socket.create_connection(
        (host, int(port)), timeout=timeout, source_address=(source, 0) if source else None
    )


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def _read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset after its last byte is a close too)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@contextlib.contextmanager
def requests_in_progress(address: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` requests whose header is whole and whose announced body never comes: nginx holds each
    as a request in progress, waiting for its body, until the block ends and closes them."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            held.append(_connect(address, 5.0))
            held[-1].sendall(b"POST /api/orders HTTP/1.1\r\nHost: payflow\r\nContent-Length: 100\r\n\r\n")
        yield held
    finally:
        for sock in held:
            sock.close()
