"""The checks every fault test ends with, and the one-line figures each test reports."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from dataclasses import dataclass

from app.bus import DeadLetter
from tests.faults.history import history_problems
from tests.faults.injection import busy_queues, dead_letter_ids, dead_letters
from tests.faults.load import LoadResult
from tests.faults.settle import problems, take_snapshot, wait_settled
from tests.faults.stack import FaultStack
from tests.support.figures import report as figures_line
from tests.support.waiting import wait_until

REPORT_ENV = "PAYFLOW_FAULT_REPORT"


@dataclass(frozen=True)
class Figures:
    """What the issue asks each fault test to quote."""

    fault: str
    accepted: int
    settled: int
    payments_per_order_max: int
    dead_lettered: int
    settle_s: float
    reconcile_cli: str
    extra: tuple[tuple[str, object], ...] = ()

    def line(self) -> str:
        extra = "".join(f" {name}={value}" for name, value in self.extra)
        return (
            f"fault={self.fault} accepted={self.accepted} settled={self.settled} "
            f"payments_per_order_max={self.payments_per_order_max} dead_lettered={self.dead_lettered} "
            f"settle_s={self.settle_s:.1f} reconcile_cli={self.reconcile_cli}{extra}"
        )


def verify(
    stack: FaultStack,
    fault: str,
    load: LoadResult,
    *,
    poison: Counter[tuple[str, str | None]] | None = None,
    since: float | None = None,
    timeout: float = 120,
    **extra: object,
) -> Figures:
    """Wait for the system to settle and go idle, then assert every invariant; report the figures.
    `poison` holds (queue, message id) of every message the test expects dead-lettered; `since` is when
    the fault ended (time.monotonic()), from which the time to settle is counted; `extra` figures are
    added to the reported line."""
    began = time.monotonic() if since is None else since
    wait_idle(stack, timeout)
    settle_s = time.monotonic() - began
    snapshot = take_snapshot(stack.engine)  # again: nothing may have moved while the queues drained

    assert not problems(snapshot), problems(snapshot)
    assert not load.refused_for_other_reasons(), load.refused_for_other_reasons()[:5]
    assert not set(load.accepted) - {str(order_id) for order_id in snapshot.accepted}, "202 without command"
    assert not history_problems(stack.engine), history_problems(stack.engine)
    letters = dead_letters(stack.broker_url)
    assert dead_letter_ids(letters) == (poison or Counter()), _describe(letters)
    cli_verdict, cli_output = reconcile_with_cli(stack, len(snapshot.accepted))
    figures = Figures(
        fault=fault,
        accepted=len(load.accepted),
        settled=snapshot.settled,
        payments_per_order_max=snapshot.max_payments_per_order,
        dead_lettered=sum(len(found) for found in letters.values()),
        settle_s=settle_s,
        reconcile_cli=cli_verdict,
        extra=(("answers", dict(load.statuses)), *extra.items()),
    )
    report(figures)  # before the CLI's verdict is asserted, so the figures show even when it disagrees
    assert cli_verdict in {"ok", "absent"}, f"payflow reconcile disagrees: {cli_output}"
    return figures


def wait_idle(stack: FaultStack, timeout: float) -> None:
    """Every accepted order settled, every outbox row published, and no message left in any queue
    but the dead-letter queues (ready or being handled)."""
    wait_settled(stack.engine, timeout=timeout)
    wait_until(
        lambda: not busy_queues(stack.services.broker, stack.vhost),
        timeout=timeout,
        what="every queue to drain",
        interval=0.5,
    )


def reconcile_with_cli(stack: FaultStack, accepted: int) -> tuple[str, str]:
    """Run `payflow reconcile` judging every order (none counts as in flight); its verdict for the
    figures ("ok", "absent" while the command does not exist, or what it found wrong) and its output."""
    done = stack.cli("reconcile", "--json", "--stuck-after", "0", timeout=120)
    if done.returncode == 2 and "invalid choice: 'reconcile'" in done.stderr:
        return "absent", ""
    output = f"exit {done.returncode}: {done.stdout[:3000]}{done.stderr}"
    if done.returncode != 0:
        return "FAILED", output
    document = json.loads(done.stdout)
    counted = (document["orders_accepted"], document["in_flight"]) == (accepted, 0)
    return ("ok" if counted else "MISCOUNTED"), output


def report(figures: Figures) -> None:
    line = figures.line()
    figures_line(line)
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


def _describe(letters: dict[str, list[DeadLetter]]) -> str:
    return json.dumps(
        {queue: [dataclasses.asdict(letter) for letter in found] for queue, found in letters.items()},
        default=str,
    )[:4000]
