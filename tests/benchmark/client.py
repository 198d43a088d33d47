"""One keep-alive HTTP/1.1 connection per simulated client, timing every request."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """Status, decoded JSON body (None when empty or not JSON) and the request's latency in seconds."""

    status: int
    body: Any
    seconds: float


class Client:
    """Calls one gateway over a single persistent connection; reconnects after a broken one."""

    headers: ClassVar[dict[str, str]] = {}  # sent with every request (`--header`, e.g. an API key)

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> Reply:
        """Send one request; a transport failure raises OSError/HTTPException and drops the connection."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **self.headers} if data is not None else self.headers
        started = time.perf_counter()
        try:
            conn = self._connection()
            conn.request(method, self._prefix + path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        elapsed = time.perf_counter() - started
        return Reply(response.status, _decode(payload), elapsed)

    def get(self, path: str, *, retries: int = 0) -> Reply:
        """GET `path`; `retries` more attempts after a transport failure (a kept-alive connection the
        server closed while idle fails on first use)."""
        try:
            return self.call("GET", path)
        except (OSError, http.client.HTTPException):
            if retries <= 0:
                raise
        return self.get(path, retries=retries - 1)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._conn


def _decode(payload: bytes) -> Any:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return None
