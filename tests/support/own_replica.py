"""A streaming replica of the tests' own PostgreSQL cluster (pg_basebackup -R, its own port and data)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.own_postgres import OS_USER, OwnPostgres, _as_server_user, _run
from tests.support.system import free_port
from tests.support.waiting import wait_until


def _admin(cluster: OwnPostgres, statement: str) -> object:
    engine = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return conn.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def is_streaming(replica: OwnPostgres) -> bool:
    """The replica answers, is in recovery and its WAL receiver streams from the primary."""
    if not replica.is_up():
        return False
    return _admin(replica, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'") == 1


@contextlib.contextmanager
def replay_paused(replica: OwnPostgres) -> Iterator[None]:
    """The replica keeps receiving WAL but applies none of it inside the block."""
    _admin(replica, "SELECT pg_wal_replay_pause()")
    try:
        paused = "SELECT pg_get_wal_replay_pause_state() = 'paused'"
        wait_until(lambda: _admin(replica, paused), timeout=30, what="replay to pause")
        yield
    finally:
        _admin(replica, "SELECT pg_wal_replay_resume()")


def caught_up(primary: OwnPostgres, replica: OwnPostgres) -> bool:
    """The replica has replayed everything the primary had written when asked."""
    position = _admin(primary, "SELECT pg_current_wal_lsn()")
    return bool(_admin(replica, f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn"))


def base_backup(primary: OwnPostgres, replica: OwnPostgres) -> None:
    """The replica's data directory copied from `primary`, set to stream from it (-R)."""
    root = replica.root
    (root / "sockets").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in (root, root / "sockets"):
            shutil.chown(path, OS_USER, OS_USER)
    # A cluster made by initdb already has wal_level=replica, max_wal_senders=10 and a pg_hba entry
    # letting local replication connections in (trust): the primary needs nothing more.
    backup = [
        str(primary.bin / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
    ]
    _run([*_as_server_user(), *backup, "-D", str(root / "data"), "-R", "-X", "stream", "--no-sync"])


@contextlib.contextmanager
def own_replica(primary: OwnPostgres) -> Iterator[OwnPostgres]:
    """A replica of `primary`, started and streaming; stopped and deleted when the block ends."""
    replica = OwnPostgres(Path(tempfile.mkdtemp(prefix="payflow-test-replica-")), free_port(), primary.bin)
    try:
        base_backup(primary, replica)
        replica.start()
        wait_until(lambda: is_streaming(replica), timeout=60, what="the replica to stream", interval=0.2)
        yield replica
    finally:
        replica.discard()
