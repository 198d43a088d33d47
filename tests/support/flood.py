"""Slow and idle clients held open against a server, and the latency normal clients see meanwhile."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from tests.support.http import Api

HALF_A_HEADER = b"POST /api/orders HTTP/1.1\r\nHost: payflow\r\nContent-Type: appli"


@contextlib.contextmanager
def flood(address: str, idle: int, slow: int) -> Iterator[list[socket.socket]]:
    """`idle` connections that send nothing and `slow` ones that send half a header, then nothing, all
    held open until the block ends."""
    host, port = address.rsplit(":", 1)
    held: list[socket.socket] = []
    try:
        for number in range(idle + slow):
            sock = socket.create_connection((host, int(port)), timeout=5)
            held.append(sock)
            if number >= idle:
                sock.sendall(HALF_A_HEADER)
        yield held
    finally:
        for sock in held:
            sock.close()


def still_open(sock: socket.socket) -> bool:
    """True while the server has neither closed nor answered the connection."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # returns b"" once closed, the first byte once answered
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)
    return False


def order_latencies(api: Api, clients: int, orders_each: int) -> list[float]:
    """Seconds each POST /orders took, from `clients` clients posting one after another; all must be 202."""

    def client(number: int) -> list[float]:
        taken = []
        for _ in range(orders_each):
            started = time.perf_counter()
            reply = api.post("/orders", {"userId": str(uuid.uuid4()), "total": 12.01}, timeout=30)
            taken.append(time.perf_counter() - started)
            assert reply.status == 202, (reply.status, reply.body)
        return taken

    with ThreadPoolExecutor(clients) as pool:
        return [seconds for taken in pool.map(client, range(clients)) for seconds in taken]


def percentile_ms(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]
