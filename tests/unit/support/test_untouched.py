"""The guard that fails a test run which restarted the machine's PostgreSQL or RabbitMQ, on a fake /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.untouched import UntouchedServices, machine_services

pytest_plugins = ["pytester"]

MACHINE_POSTMASTER = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c", "x=y"]
OWN_POSTMASTER = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/tmp/payflow-test-postgres-x/data"]
REPLICA = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/replica"]
BEAM = "/usr/lib/erlang/erts-13.1.5/bin/beam.smp"
MACHINE_BEAM = [BEAM, "-W", "w", "--", "-home", "/var/lib/rabbitmq", "--", "-s", "rabbit", "boot"]
MACHINE_CLI = [BEAM, "--", "-home", "/var/lib/rabbitmq", "--", "-hidden", "-run", "escript", "start"]
OWN_BEAM = [BEAM, "--", "-home", "/tmp/payflow-test-rabbitmq-x", "--", "-s", "rabbit", "boot"]


def fake_proc(root: Path, processes: dict[int, list[str]]) -> Path:
    for pid, argv in processes.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
    (root / "self").mkdir()  # not a process id: ignored
    return root


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    backend = ["postgres: 15/main: checkpointer"]
    processes = {100: MACHINE_POSTMASTER, 101: backend, 200: MACHINE_BEAM, 201: MACHINE_CLI}
    processes |= {300: OWN_POSTMASTER, 301: REPLICA, 400: OWN_BEAM}
    return fake_proc(tmp_path / "proc", processes)


def test_only_the_machines_main_postmaster_and_broker_node_count_not_cli_replica_or_tests_own(
    proc: Path,
) -> None:
    found = machine_services(proc)

    assert (found.postgres, found.rabbitmq) == (frozenset({100}), frozenset({200}))


def test_a_run_that_restarts_the_machines_postgresql_fails_though_every_test_passed(
    pytester: pytest.Pytester, proc: Path
) -> None:
    pytester.makepyfile(f"import os\n\ndef test_restart():\n    os.rename('{proc}/100', '{proc}/150')\n")

    result = pytester.runpytest(plugins=[UntouchedServices(proc)])

    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "the machine's own services were touched" in result.stdout.str()
    assert "PostgreSQL postmaster pids were [100] before the tests and are [150] after" in result.stdout.str()


def test_a_run_that_stops_the_machines_rabbitmq_fails(pytester: pytest.Pytester, proc: Path) -> None:
    pytester.makepyfile(f"import shutil\n\ndef test_stop():\n    shutil.rmtree('{proc}/200')\n")

    result = pytester.runpytest(plugins=[UntouchedServices(proc)])

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "RabbitMQ beam.smp pids were [200] before the tests and are [] after" in result.stdout.str()


def test_a_run_that_only_restarts_the_tests_own_services_passes(
    pytester: pytest.Pytester, proc: Path
) -> None:
    pytester.makepyfile(f"import os\n\ndef test_own():\n    os.rename('{proc}/300', '{proc}/350')\n")

    result = pytester.runpytest(plugins=[UntouchedServices(proc)])

    assert result.ret == pytest.ExitCode.OK
    assert "services were touched" not in result.stdout.str()
