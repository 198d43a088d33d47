"""Fault 7: cancels fired at random moments relative to creation and payment."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from tests.faults.conftest import Launch
from tests.faults.load import LoadGenerator
from tests.faults.settle import wait_settled
from tests.faults.verdict import verify
from tests.support.http import Api

pytestmark = pytest.mark.faults
ORDERS = 240
LATENCY_MS = "100"  # long enough for cancels to land while payments are PROCESSING


class CancelPlan:
    """Per accepted order: no cancel, cancel at once, after 0-300 ms, or after it settled."""

    def __init__(self, seed: int = 11) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.accepted: set[str] = set()
        self.later: list[str] = []
        self._pause = threading.Event()

    def after_accept(self, api: Api, order_id: str) -> None:
        with self._lock:
            moment, delay, route = (
                self._rng.choice(("none", "now", "soon", "later")),
                self._rng.uniform(0, 0.3),
                self._rng.random(),
            )
        if moment == "later":
            with self._lock:
                self.later.append(order_id)
        elif moment != "none":
            self._pause.wait(delay if moment == "soon" else 0)
            self.cancel(api, order_id, by_status=route < 0.5)

    def cancel(self, api: Api, order_id: str, *, by_status: bool = False) -> None:
        if by_status:
            reply = api.patch(f"/orders/{order_id}", {"status": "CANCELLED"})
        else:
            reply = api.patch(f"/orders/{order_id}/cancel")
        with self._lock:
            self.answers[str(reply.status)] += 1
            if reply.status == 202:
                self.accepted.add(order_id)


def test_cancels_racing_creation_and_payment_always_end_in_a_consistent_pair(launch: Launch) -> None:
    stack = launch(PAYFLOW_PAYMENT_LATENCY_MS=LATENCY_MS)
    plan = CancelPlan()

    result = LoadGenerator(stack.system.api, ORDERS, rate=40, after_accept=plan.after_accept).run()
    wait_settled(stack.engine)
    for order_id in plan.later:
        plan.cancel(stack.system.api, order_id)

    snapshot, _ = wait_settled(stack.engine)
    pairs = Counter(f"{snapshot.orders[o]}/{snapshot.payments[o][0]}" for o in snapshot.accepted)

    statuses = {str(order_id): status for order_id, status in snapshot.orders.items()}
    assert set(plan.answers) <= {"202", "409", "503"}, plan.answers  # 409: already FAILED
    assert {str(o) for o in snapshot.cancelled} == plan.accepted
    assert all(statuses[o] != "CANCELLED" for o in set(statuses) - plan.accepted)
    assert pairs["CANCELLED/CANCELLED"] > 0, pairs  # some cancels hit a PROCESSING payment
    assert pairs["CANCELLED/REFUNDED"] > 0, pairs  # and some an APPROVED one
    verify(stack, "cancel-races", result, cancels=dict(plan.answers), pairs=dict(sorted(pairs.items())))
