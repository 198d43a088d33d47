"""`payflow setup` against a server that accepts the connection and never answers: it gives up within the
connect timeout instead of waiting for ever."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import OperationalError

from app.persistence.migrations import ensure_database
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
CONNECT_TIMEOUT_S = 2
NEVER_S = 20.0  # far past the timeout: an answer within it did not wait for the server


def test_creating_the_database_gives_up_on_a_server_that_never_answers() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent, ThreadPoolExecutor(1) as pool:
        # The kernel completes the handshake from the backlog; nothing ever reads the startup packet.
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/payflow_never"
        started = time.monotonic()
        attempt = pool.submit(ensure_database, url, connect_timeout_s=CONNECT_TIMEOUT_S)
        try:
            wait_until(attempt.done, timeout=NEVER_S, what="ensure_database to give up", interval=0.1)
        finally:
            silent.close()  # a connection still waiting gets a reset, so the worker thread always ends
        took = time.monotonic() - started

    with pytest.raises(OperationalError, match="timeout"):
        attempt.result()
    assert took < CONNECT_TIMEOUT_S + 1.5
