"""The machine's own PostgreSQL and RabbitMQ keep their process ids through a test run, or the run fails."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

PROC = Path("/proc")
# Debian's layout: the main cluster's postmaster runs `postgres -D /var/lib/postgresql/<version>/main`, the
# broker's beam.smp boots rabbit with `-home` the rabbitmq user's home. Tests' own services live elsewhere.
POSTGRES_DATA = "/var/lib/postgresql/*/main"
RABBITMQ_HOME = "/var/lib/rabbitmq"


@dataclass(frozen=True)
class MachineServices:
    """Process ids of the machine's PostgreSQL postmasters and RabbitMQ Erlang VMs at one moment."""

    postgres: frozenset[int]
    rabbitmq: frozenset[int]

    def changes_since(self, before: MachineServices) -> list[str]:
        """What differs from `before`, one sentence per service; empty when both kept their pids."""
        pairs = {"PostgreSQL postmaster": (before.postgres, self.postgres)}
        pairs["RabbitMQ beam.smp"] = (before.rabbitmq, self.rabbitmq)
        return [
            f"the machine's {name} pids were {sorted(old)} before the tests and are {sorted(new)} after"
            for name, (old, new) in pairs.items()
            if old != new
        ]


def _argument(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else None


def _is_machine_postmaster(argv: list[str]) -> bool:
    data = _argument(argv, "-D")
    return Path(argv[0]).name in {"postgres", "postmaster"} and bool(data and fnmatch(data, POSTGRES_DATA))


def _is_machine_rabbitmq(argv: list[str]) -> bool:
    """The node boots RabbitMQ (`-s rabbit boot`); rabbitmqctl runs in a beam.smp of the same home too."""
    boots = any(argv[i : i + 3] == ["-s", "rabbit", "boot"] for i in range(len(argv)))
    return Path(argv[0]).name == "beam.smp" and _argument(argv, "-home") == RABBITMQ_HOME and boots


def _command_lines(proc: Path) -> dict[int, list[str]]:
    lines = {}
    for entry in proc.iterdir():
        try:
            raw = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:  # the process ended while we looked
            continue
        if raw:
            lines[int(entry.name)] = raw.decode(errors="replace").rstrip("\0").split("\0")
    return lines


def machine_services(proc: Path = PROC) -> MachineServices:
    """Read every process's command line (world-readable, unlike the services' pid files)."""
    lines = _command_lines(proc)
    postgres = frozenset(pid for pid, argv in lines.items() if _is_machine_postmaster(argv))
    return MachineServices(
        postgres, frozenset(pid for pid, argv in lines.items() if _is_machine_rabbitmq(argv))
    )


class UntouchedServices:
    """pytest plugin: notes the machine's services at the start of a run and fails the run if a test
    stopped, restarted or started one of them by the end (after every fixture is torn down)."""

    def __init__(self, proc: Path = PROC) -> None:
        self.proc = proc
        self.before = MachineServices(frozenset(), frozenset())
        self.changes: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.before = machine_services(self.proc)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.changes = machine_services(self.proc).changes_since(self.before)
        if self.changes and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.changes:
            terminalreporter.section("the machine's own services were touched", red=True, bold=True)
            for change in self.changes:
                terminalreporter.write_line(change, red=True)
