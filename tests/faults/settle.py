"""The settled state, read straight from the test database: every accepted order terminal, consistent,
with exactly one payment, no release owed; and a wait for it with a deadline."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, text

from app.cli.invariants import ALLOWED_PAYMENTS
from tests.support.waiting import wait_until

# What a settled order may be paired with: the invariants `payflow reconcile` checks.
CONSISTENT = {
    order.value: {payment.value for payment in allowed} for order, allowed in ALLOWED_PAYMENTS.items()
}


@dataclass(frozen=True)
class Snapshot:
    """Accepted commands, and the orders and payments they led to, at one moment."""

    accepted: frozenset[uuid.UUID]
    cancelled: frozenset[uuid.UUID]
    orders: dict[uuid.UUID, str]
    payments: dict[uuid.UUID, list[str]]
    unpublished: int
    releases_owed: int  # give-backs the sweeper has yet to get through at the provider
    commands: int  # accepted creates and cancels ...
    command_events: int  # ... and the events the gateway stored with them: one each, atomically

    @property
    def settled(self) -> int:
        return sum(1 for order_id in self.accepted if not _order_problem(self, order_id))

    @property
    def max_payments_per_order(self) -> int:
        return max((len(self.payments.get(order_id, [])) for order_id in self.accepted), default=0)


def take_snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as conn:
        commands = conn.execute(text("SELECT kind, order_id FROM gateway.commands")).all()
        orders = {row[0]: row[1] for row in conn.execute(text("SELECT id, status FROM orders.orders"))}
        payments: dict[uuid.UUID, list[str]] = defaultdict(list)
        for order_id, status in conn.execute(text("SELECT order_id, status FROM payments.payments")):
            payments[order_id].append(status)
        events = conn.execute(text("SELECT count(event_id) FROM gateway.commands")).scalar_one()
        unpublished = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM gateway.commands WHERE published_at IS NULL)"
                " + (SELECT count(*) FROM payments.outbox WHERE published_at IS NULL)"
            )
        ).scalar_one()
        owed = conn.execute(text("SELECT count(*) FROM payments.releases_owed")).scalar_one()
    return Snapshot(
        accepted=frozenset(o for kind, o in commands if kind == "create_order"),
        cancelled=frozenset(o for kind, o in commands if kind == "cancel_order"),
        orders=orders,
        payments=dict(payments),
        unpublished=int(unpublished),
        releases_owed=int(owed),
        commands=len(commands),
        command_events=int(events),
    )


def problems(snapshot: Snapshot) -> dict[str, list[str]]:
    """Each kind of violation with the offending order ids; empty when everything settled."""
    found: dict[str, list[str]] = defaultdict(list)
    for order_id in sorted(snapshot.accepted):
        problem = _order_problem(snapshot, order_id)
        if problem:
            found[problem].append(str(order_id))
    strays = set(snapshot.orders) - snapshot.accepted
    if strays:
        found["order stored without an accepted command"] = sorted(map(str, strays))
    if snapshot.commands != snapshot.command_events:
        found["commands and their events differ in number"] = [
            f"{snapshot.commands}/{snapshot.command_events}"
        ]
    if snapshot.unpublished:
        found["outbox rows not yet published"] = [str(snapshot.unpublished)]
    if snapshot.releases_owed:
        found["releases still owed at the provider"] = [str(snapshot.releases_owed)]
    return dict(found)


def _order_problem(snapshot: Snapshot, order_id: uuid.UUID) -> str | None:
    status = snapshot.orders.get(order_id)
    payments = snapshot.payments.get(order_id, [])
    if status is None:
        return "accepted but not stored"
    if len(payments) != 1:
        return f"{len(payments)} payments instead of 1"
    if status not in CONSISTENT or payments[0] not in CONSISTENT[status]:
        return f"not settled or inconsistent: {status}/{payments[0]}"
    if order_id in snapshot.cancelled and status not in {"CANCELLED", "FAILED"}:
        return f"cancel accepted but order {status}"
    return None


def wait_settled(engine: Engine, timeout: float = 60) -> tuple[Snapshot, float]:
    """Wait until no problem is left; the last snapshot and the seconds it took. On timeout, the
    assertion lists what is still wrong."""
    began = time.monotonic()
    last: list[Snapshot] = []

    def probe() -> Snapshot | None:
        last[:] = [take_snapshot(engine)]
        return None if problems(last[0]) else last[0]

    try:
        snapshot = wait_until(probe, timeout=timeout, what="every accepted order to settle", interval=0.25)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {_summary(problems(last[0]))}") from None
    return snapshot, time.monotonic() - began


def _summary(found: dict[str, list[str]]) -> str:
    return "; ".join(f"{kind}: {len(ids)} e.g. {ids[:3]}" for kind, ids in found.items())
