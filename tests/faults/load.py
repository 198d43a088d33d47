"""A bounded load generator: N orders posted from K threads through the real gateway at a steady pace."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tests.support.http import Api, Response
from tests.support.waiting import wait_until

USER_ID = "0b7f3e6c-1d1e-4a57-9a55-5bdf3c1a2f10"
OrderHook = Callable[[Api, str], None]


@dataclass
class LoadResult:
    """What the clients saw: accepted order ids, every answer by status, and details of the refusals."""

    accepted: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    refusals: list[Response] = field(default_factory=list)
    refusal_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def refused_for_other_reasons(self) -> list[Response]:
        """Refusals that are not a 503 blaming the database (which a saturated PostgreSQL, e.g. out of
        connection slots on a busy machine, may legitimately cause at any time)."""
        return [reply for reply in self.refusals if not _database_unavailable(reply)]


def _database_unavailable(reply: Response) -> bool:
    message = reply.body.get("message", "") if isinstance(reply.body, dict) else ""
    return reply.status == 503 and bool(reply.header("Retry-After")) and "database" in message.lower()


def random_total(rng: random.Random) -> Decimal:
    """An ordinary amount: cents .05-.99, so the simulated gateway decides by order id (no forced outcome)."""
    return Decimal(rng.randint(1, 400)) + Decimal(rng.randint(5, 99)) / 100


class LoadGenerator:
    """Posts up to `orders` orders from `threads` threads at about `rate` per second; `after_accept` runs
    in the posting thread after each 202 (cancel tests use it). Start it, break something, then `join`
    (all of them) or `finish` (stop early: the load then lasts exactly as long as the fault needs)."""

    def __init__(
        self,
        api: Api,
        orders: int,
        *,
        threads: int = 8,
        rate: float = 40.0,
        seed: int = 7,
        after_accept: OrderHook | None = None,
    ) -> None:
        self.api = api
        self.orders = orders
        self.rate = rate
        self.result = LoadResult()
        self._after_accept = after_accept
        self._rng = random.Random(seed)
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._stopped = threading.Event()  # set by `finish`; also the interruptible pacing wait
        self._threads = [threading.Thread(target=self._run, name=f"load-{i}") for i in range(threads)]
        self._started = 0.0

    @property
    def sent(self) -> int:
        with self._lock:
            return sum(self.result.statuses.values())

    def start(self) -> LoadGenerator:
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float = 120.0) -> LoadResult:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "the load generator did not finish in time"
        return self.result

    def run(self, timeout: float = 120.0) -> LoadResult:
        return self.start().join(timeout)

    def finish(self, timeout: float = 120.0) -> LoadResult:
        """Send no more orders; wait for the requests under way."""
        self._stopped.set()
        return self.join(timeout)

    def wait_sent(self, count: int, timeout: float = 60.0) -> int:
        """Block until `count` requests were answered (or failed); the number sent by then."""
        return wait_until(
            lambda: self.sent >= count and self.sent, timeout=timeout, what=f"{count} orders sent"
        )

    def _run(self) -> None:
        while (number := self._next()) is not None:
            if self._stopped.wait(max(0.0, self._started + number / self.rate - time.monotonic())):
                return
            self._post()

    def _next(self) -> int | None:
        with self._lock:
            number = next(self._numbers)
            return number if number < self.orders and not self._stopped.is_set() else None

    def _post(self) -> None:
        with self._lock:
            total = random_total(self._rng)
        began = time.monotonic()
        try:
            reply = self.api.post("/orders", {"userId": USER_ID, "total": float(total)}, timeout=15)
        except OSError as exc:  # a killed gateway worker drops the connection: unknown outcome
            self._record(f"error:{type(exc).__name__}", error=repr(exc))
            return
        if reply.status == 202:
            self._record("202", order_id=str(reply.body["orderId"]))
            if self._after_accept is not None:
                self._after_accept(self.api, str(reply.body["orderId"]))
        else:
            self._record(str(reply.status), refusal=reply, seconds=time.monotonic() - began)

    def _record(
        self,
        status: str,
        *,
        order_id: str | None = None,
        refusal: Response | None = None,
        seconds: float = 0.0,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self.result.statuses[status] += 1
            if order_id is not None:
                self.result.accepted.append(order_id)
            if refusal is not None:
                self.result.refusals.append(refusal)
                self.result.refusal_seconds.append(seconds)
            if error is not None:
                self.result.errors.append(error)
