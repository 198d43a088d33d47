"""A throwaway PostgreSQL cluster of the tests' own (initdb in a temporary directory, its own port)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.system import free_port
from tests.support.waiting import wait_until

START_TIMEOUT_S = 120
OS_USER = "postgres"  # initdb and postgres refuse to run as root


def postgres_bin() -> Path:
    """The newest server binaries the distribution installed (/usr/lib/postgresql/<version>/bin)."""
    override = os.environ.get("PAYFLOW_TEST_PG_BIN")
    if override:
        return Path(override)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise AssertionError("no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin")
    return versions[-1].parent


def _as_server_user() -> list[str]:
    return ["runuser", "-u", OS_USER, "--"] if os.geteuid() == 0 else []


def _run(command: list[str], *, check: bool = True, timeout: float = START_TIMEOUT_S) -> bool:
    done = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")
    return done.returncode == 0


@dataclass(frozen=True)
class OwnPostgres:
    """One cluster: data, socket directory and log under `root`, listening on 127.0.0.1:`port` only."""

    root: Path
    port: int
    bin: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str, check: bool = True) -> bool:
        data = str(self.root / "data")
        return _run([*_as_server_user(), str(self.bin / "pg_ctl"), "-D", data, *args], check=check)

    def initdb(self) -> None:
        data = str(self.root / "data")
        initdb = [str(self.bin / "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        _run([*_as_server_user(), *initdb, "--locale=C", "--no-sync"])

    def is_up(self) -> bool:
        ready = [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return _run(ready, check=False, timeout=10)

    def start(self) -> None:
        """Start the cluster unless it runs, then wait until it accepts connections."""
        if not self.is_up():
            options = f"-p {self.port} -k {self.root / 'sockets'} -c listen_addresses=127.0.0.1 -c fsync=off"
            log = str(self.root / "postgres.log")
            self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-l", log, "-o", options, check=False)
        wait_until(self.is_up, timeout=START_TIMEOUT_S, what="the tests' PostgreSQL to accept", interval=0.2)

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (`fast` cuts every connection); an error when it was not running."""
        self._pg_ctl("stop", "-w", "-m", mode)

    def discard(self) -> None:
        """Stop it however it is (no error when already down) and delete every file it had."""
        self._pg_ctl("stop", "-w", "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A new cluster, started; stopped and deleted when the block ends, whatever happens."""
    root = Path(tempfile.mkdtemp(prefix="payflow-test-postgres-"))
    cluster = OwnPostgres(root, free_port(), postgres_bin())
    try:
        (root / "sockets").mkdir()
        if os.geteuid() == 0:
            for path in (root, root / "sockets"):
                shutil.chown(path, OS_USER, OS_USER)
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        cluster.discard()
