"""Payments module: one payment per order, the provider port, the sweeper and the read side."""

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from app.contracts import BatchHandler, Event
from app.payments.decisions import RULES
from app.payments.domain import PaymentsError, PaymentStatus
from app.payments.handlers import apply_batch
from app.payments.provider import ChargeResult, PaymentProvider, ProviderUnavailable, SimulatedProvider
from app.payments.queries import PaymentQueries, PaymentView, StatusTotal
from app.payments.sweeper import fail_stuck_payments
from app.payments.tables import SCHEMA
from app.payments.tables import outbox as OUTBOX  # noqa: N812 - the table every relay of this schema reads
from app.payments.unit_of_work import PaymentsUnitOfWork, SqlPaymentsUnitOfWork
from app.persistence import Connects

HANDLED: frozenset[type[Event]] = frozenset(RULES)


@dataclass(frozen=True)
class Payments:
    """All the rest of the system may use of payments; `sweep` fails stuck payments (run it periodically)."""

    handlers: Mapping[type[Event], BatchHandler]
    queries: PaymentQueries
    sweep: "Sweep"


class Sweep(Protocol):
    """One pass of the sweeper: how many payments it failed."""

    def __call__(self, *, consumed_s: float = ...) -> int:
        """Fail stuck payments once the inbox has been consumed for a deadline (`consumed_s`, default: ever
        since), and give back the releases owed whatever `consumed_s` says."""


def build(
    engine: Engine,
    provider: PaymentProvider,
    *,
    deadline_s: int,
    reads: Connects | None = None,
    unit_of_work: Callable[[], PaymentsUnitOfWork] | None = None,
    written: Callable[[], None] = lambda: None,
) -> Payments:
    """The module on `engine` (writes) and `reads` (queries), handing `provider` each batch's payments at
    once (whoever applies batches side by side bounds them); `written` is called after each commit that
    added events to its outbox."""
    uow = unit_of_work or functools.partial(SqlPaymentsUnitOfWork, engine, threading.Lock(), written)
    handler = functools.partial(apply_batch, uow, provider)
    sweep = functools.partial(fail_stuck_payments, uow, provider, deadline_s)
    return Payments(dict.fromkeys(HANDLED, handler), PaymentQueries(reads or engine), sweep)
