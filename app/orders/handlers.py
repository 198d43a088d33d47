"""The orders handler: applies a batch of events in one transaction, each at most once."""

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from app.contracts import Incoming, OrderCreated
from app.orders.domain import plan
from app.orders.unit_of_work import OrdersUnitOfWork

UowFactory = Callable[[], OrdersUnitOfWork]


def apply_batch(uow_factory: UowFactory, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
    """Lock the batch's orders, claim its events, save what they change; the ids of events about an
    order that does not exist yet (nothing is kept for them: the bus delivers them again later)."""
    with uow_factory() as uow:
        current = uow.lock({message.event.order_id for message in batch})
        known = current.keys() | {m.event.order_id for m in batch if isinstance(m.event, OrderCreated)}
        waiting = frozenset(message.id for message in batch if message.event.order_id not in known)
        ready = [message for message in batch if message.id not in waiting]
        fresh = uow.claim(ready)
        uow.save(plan(current, [message for message in ready if message.id in fresh]))
        uow.commit()
    return waiting
