"""Money under every interleaving, on PostgreSQL: payments workers, a sweeper with no deadline and orders
workers apply duplicated, reordered events while workers die after the provider charged, before a commit
and after a refund, and refunds time out or are refused; once everything was delivered again, the
provider holds exactly the approved payments, each order has one payment, every change is explained by
an unbroken history, and every order pairs consistently with its payment."""

from __future__ import annotations

import functools
import itertools
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app import orders, payments
from app.cli.invariants import OrderRecord, PaymentRecord, reconcile
from app.contracts import BatchHandler, Incoming, OrderCreated, read_message
from app.orders import OrderStatus
from app.payments import ChargeResult, PaymentStatus, ProviderUnavailable
from app.payments.domain import Payment
from app.payments.unit_of_work import SqlPaymentsUnitOfWork
from app.persistence import is_transient
from tests.integration.events import cancelled, created
from tests.integration.payments.sql_payments import APPROVED, DECLINED

pytestmark = pytest.mark.integration

ORDERS = 40
WORKERS = 3
FAULT_RATE = 0.2
AMOUNTS = ("0.01", "10.00", "19.99", "999999.99", "1000000.00")
ANSWERS = (APPROVED, APPROVED, DECLINED, ChargeResult(PaymentStatus.FAILED, "provider_error"), None)
RESULTS = ("payment.approved", "payment.declined", "payment.failed")
EXITS = frozenset({*RESULTS, "payment.cancelled"})
KEEPING_NOTHING = frozenset({"CANCELLED", "REFUNDED", "DECLINED", "FAILED"})
ANNOUNCED = "SELECT event_type, body::json -> 'payload' ->> 'paymentId' AS id FROM payments.outbox"
INJECTED = (ProviderUnavailable, ValueError)  # besides WorkerDied: the refunds that did not go through


class WorkerDied(Exception):
    """The worker died at this point: nothing after it ran, the bus delivers its batch again."""


class MoneyProvider:
    """Idempotent per payment id: one answer each (None: never answered, yet the money was taken), and
    the money moves once, when the first call to end ends (after any refund asked meanwhile); refunds
    give back what an id holds. Faults at `rate`: a worker dying after a charge or a refund, refunds
    timing out or refused."""

    def __init__(self, seed: int, rate: float) -> None:
        self.rate = rate
        self.held: dict[uuid.UUID, Decimal] = {}
        self._answers: dict[uuid.UUID, ChargeResult | None] = {}
        self._landed: set[uuid.UUID] = set()
        self._random, self._lock = random.Random(seed), threading.Lock()

    def charge(self, batch: Sequence[Payment]) -> dict[uuid.UUID, ChargeResult | None]:
        time.sleep(self._draw() / 50)  # the provider's latency: refunds and sweeps land meanwhile
        with self._lock:
            for payment in batch:
                answer = self._answers.setdefault(payment.id, self._random.choice(ANSWERS))
                if payment.id not in self._landed and (answer is None or answer.status is APPROVED.status):
                    self.held[payment.id] = payment.amount
                self._landed.add(payment.id)
        if self._draw() < self.rate:
            raise WorkerDied("after the provider charged")
        return {payment.id: self._answers[payment.id] for payment in batch}

    def refund(self, batch: Sequence[Payment]) -> None:
        fault = self._draw()
        if fault < self.rate / 4:
            raise ProviderUnavailable("refund timed out")
        if fault < self.rate / 2:
            raise ValueError("refund refused")
        with self._lock:
            for payment in batch:
                self.held.pop(payment.id, None)
        if fault < self.rate:
            raise WorkerDied("after the provider refunded")

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()


class DyingUnitOfWork(SqlPaymentsUnitOfWork):
    """A transaction whose worker dies before its commit at `rate` (the commit never happens)."""

    def __init__(self, engine: Engine, serial: threading.Lock, rate: Callable[[], float]) -> None:
        super().__init__(engine, serial)
        self._rate = rate

    def commit(self) -> None:
        if random.random() < self._rate():
            raise WorkerDied("before the commit")
        super().commit()


def deliver_until_applied(handlers: Sequence[BatchHandler], batches: list[list[Incoming[Any]]]) -> list[str]:
    """Each handler on a thread of its own, taking batches from one queue, as competing workers take them
    from one broker queue; a batch that raised, and the events that wait for another, are delivered again
    (to any worker). The failures that were neither injected nor transient."""
    due: queue.Queue[list[Incoming[Any]]] = queue.Queue()
    for batch in batches:
        due.put(batch)
    left, unexpected, lock = [len(batches)], [], threading.Lock()

    def work(handler: BatchHandler) -> None:
        while left[0]:
            try:
                batch = due.get(timeout=0.05)
            except queue.Empty:
                continue
            try:
                waiting = handler(batch)
            except Exception as exc:  # noqa: BLE001 - delivered again, as the bus does
                if not isinstance(exc, (WorkerDied, *INJECTED)) and not is_transient(exc):
                    unexpected.append(repr(exc))
                due.put(batch)
                continue
            if waiting:
                due.put([message for message in batch if message.id in waiting])
                continue
            with lock:
                left[0] -= 1

    threads = [threading.Thread(target=work, args=(handler,)) for handler in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "deliveries still running after 120 s"
    return unexpected


def order_events(seed: int) -> tuple[list[Incoming[Any]], set[uuid.UUID], dict[uuid.UUID, Decimal]]:
    """Every order's events: its creation delivered one to three times and sometimes once more under
    another event id, and for half of them a cancel, also duplicated; the cancelled orders; the totals."""
    rng, events, cancelled_ids, totals = random.Random(seed), [], set(), {}
    for _ in range(ORDERS):
        order_id = uuid.uuid4()
        create = created(order_id, Decimal(rng.choice(AMOUNTS)))
        totals[order_id] = create.event.total
        events += [create] * rng.randint(1, 3)
        events += [created(order_id, create.event.total)] * (rng.random() < 0.3)
        if rng.random() < 0.5:
            cancel = cancelled(order_id)
            cancelled_ids.add(order_id)
            events += [cancel] * rng.randint(1, 2) + [cancelled(order_id)] * (rng.random() < 0.3)
    return events, cancelled_ids, totals


def in_batches(seed: int, events: list[Incoming[Any]]) -> list[list[Incoming[Any]]]:
    """The events in batches of one to five, duplicates of one id kept once (as the bus does): each order's
    events in a random order, close together (in one batch, or in batches that run at once), the orders
    in a random order."""
    rng, batches, start = random.Random(seed), [], 0
    by_order: dict[uuid.UUID, list[Incoming[Any]]] = defaultdict(list)
    for message in events:
        by_order[message.event.order_id].append(message)
    groups = list(by_order.values())
    rng.shuffle(groups)
    events = [message for group in groups for message in rng.sample(group, len(group))]
    while start < len(events):
        size = rng.randint(1, 5)
        batches.append(list({m.id: m for m in events[start : start + size]}.values()))
        start += size
    return batches


def sweep_meanwhile(sweep: Callable[[], int], stop: threading.Event, unexpected: list[str]) -> None:
    while not stop.is_set():
        try:
            sweep()
        except Exception as exc:  # noqa: BLE001 - a sweep that died is run again on the next pass
            if not isinstance(exc, WorkerDied) and not is_transient(exc):
                unexpected.append(repr(exc))


def read(engine: Engine, query: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(query)))


def history_problems(engine: Engine, statuses: dict[uuid.UUID, str], kind: str) -> list[str]:
    """The ids whose history is not one chain from its creation to its current status."""
    key = "payment_id" if kind == "payment" else "order_id"
    lines = read(engine, f"SELECT {key}, from_status, to_status FROM {kind}s.{kind}_history ORDER BY id")
    chains: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for line in lines:
        if line.from_status != line.to_status:  # notes (a release, a void) change no status
            chains[line[0]].append(line)
    problems = []
    for entity_id, status in statuses.items():
        chain = chains[entity_id]
        steps = itertools.pairwise(chain)
        if not chain or chain[0].from_status is not None or chain[-1].to_status != status:
            problems.append(f"{kind} {entity_id}: {[tuple(line[1:]) for line in chain]} ends not at {status}")
        elif any(later.from_status != earlier.to_status for earlier, later in steps):
            problems.append(f"{kind} {entity_id}: broken chain {[tuple(line[1:]) for line in chain]}")
    return problems


@pytest.mark.parametrize("seed", [1, 2])
def test_whatever_the_interleaving_and_crashes_the_provider_holds_exactly_the_approved_payments(
    engine: Engine, seed: int
) -> None:
    events, cancelled_ids, totals = order_events(seed)
    provider, faults = MoneyProvider(seed, FAULT_RATE), [FAULT_RATE / 2]  # commits die half as often
    unexpected: list[str] = []
    stop = threading.Event()
    workers = [
        payments.build(
            engine,
            provider,
            deadline_s=0,  # the sweeper fails payments whose charge is still on its way
            unit_of_work=functools.partial(DyingUnitOfWork, engine, threading.Lock(), lambda: faults[0]),
        )
        for _ in range(WORKERS)
    ]
    sweeper = threading.Thread(target=sweep_meanwhile, args=(workers[0].sweep, stop, unexpected))
    sweeper.start()

    unexpected += deliver_until_applied([w.handlers[OrderCreated] for w in workers], in_batches(seed, events))
    stop.set()
    sweeper.join(timeout=60)
    provider.rate = faults[0] = 0
    workers[0].sweep()  # the releases still owed go through

    rows = read(engine, "SELECT id, order_id, status, amount FROM payments.payments")
    assert unexpected == []
    assert sorted(row.order_id for row in rows) == sorted(totals)  # one payment per order, none lost
    assert {row.id: row.amount for row in rows if row.status == "APPROVED"} == provider.held
    assert all(row.amount == totals[row.order_id] for row in rows)
    assert {row.status for row in rows if row.order_id in cancelled_ids} <= KEEPING_NOTHING
    assert history_problems(engine, {row.id: row.status for row in rows}, "payment") == []
    announced: dict[str, list[str]] = defaultdict(list)
    for row in read(engine, ANNOUNCED):
        announced[row.id].append(row.event_type)
    for row in rows:
        kinds = announced[str(row.id)]
        assert len([kind for kind in kinds if kind in EXITS]) == 1, (row.status, kinds)
        assert kinds.count("payment.refunded") == (row.status == "REFUNDED"), (row.status, kinds)
    assert read(engine, "SELECT count(*) FROM payments.releases_owed")[0][0] == 0


@pytest.mark.parametrize("seed", [3, 4])
def test_orders_fed_their_events_and_the_payment_results_in_any_order_pair_consistently(
    engine: Engine, seed: int
) -> None:
    events, _, totals = order_events(seed)
    worker = payments.build(engine, MoneyProvider(seed, 0), deadline_s=0)
    for batch in in_batches(seed, events):
        worker.handlers[OrderCreated](batch)
    worker.sweep()
    bodies = read(engine, f"SELECT body FROM payments.outbox WHERE event_type IN {RESULTS}")
    results = [read_message(row.body.encode()) for row in bodies]
    feed = events + results + random.Random(seed).sample(results, len(results) // 3)  # some twice

    handlers = [orders.build(engine).handlers[OrderCreated] for _ in range(WORKERS)]
    unexpected = deliver_until_applied(handlers, in_batches(seed, feed))

    found = read(engine, "SELECT id, status, updated_at FROM orders.orders")
    paid = read(engine, "SELECT id, order_id, status, updated_at FROM payments.payments")
    later = datetime.now(UTC) + timedelta(hours=1)
    report = reconcile(
        dict.fromkeys(totals, later - timedelta(hours=2)),
        [OrderRecord(row.id, OrderStatus(row.status), row.updated_at) for row in found],
        [PaymentRecord(row.id, row.order_id, PaymentStatus(row.status), row.updated_at) for row in paid],
        now=later,
        stuck_after=timedelta(minutes=1),
    )
    assert unexpected == []
    assert report.problems == ()
    assert report.settled == len(totals)
    assert history_problems(engine, {row.id: row.status for row in found}, "order") == []
    assert {row.id: row.total for row in read(engine, "SELECT id, total FROM orders.orders")} == totals
