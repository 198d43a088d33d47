"""No state moved twice: each order's and payment's history is one unbroken chain ending at its status."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, text

ORDER_HISTORY = """
SELECT h.order_id, h.from_status, h.to_status, h.event_id, o.status
FROM orders.order_history h JOIN orders.orders o ON o.id = h.order_id ORDER BY h.order_id, h.id
"""
# Rows whose status did not change are notes (e.g. a late approval voided), not transitions.
PAYMENT_HISTORY = """
SELECT h.payment_id, h.from_status, h.to_status, h.event_id, p.status
FROM payments.payment_history h JOIN payments.payments p ON p.id = h.payment_id
WHERE h.from_status IS DISTINCT FROM h.to_status ORDER BY h.payment_id, h.id
"""
# Each payment announces each status at most once.
REPEATED_ANNOUNCEMENTS = """
SELECT body::json -> 'payload' ->> 'paymentId' AS payment_id, event_type, count(*)
FROM payments.outbox GROUP BY 1, 2 HAVING count(*) > 1
"""


def history_problems(engine: Engine) -> dict[str, list[str]]:
    """Violations by kind with the offending ids; empty when every change happened exactly once."""
    with engine.connect() as conn:
        orders = conn.execute(text(ORDER_HISTORY)).all()
        payments = conn.execute(text(PAYMENT_HISTORY)).all()
        repeated = conn.execute(text(REPEATED_ANNOUNCEMENTS)).all()
    found: dict[str, list[str]] = defaultdict(list)
    for kind, rows in (("order", orders), ("payment", payments)):
        for entity_id, chain in _chains(rows).items():
            problem = _chain_problem(chain)
            if problem:
                found[f"{kind} history {problem}"].append(str(entity_id))
    for payment_id, event_type, count in repeated:
        found[f"{event_type} announced more than once"].append(f"{payment_id} x{count}")
    return dict(found)


def _chains(rows: Iterable[Any]) -> dict[uuid.UUID, list[Any]]:
    chains: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        chains[row[0]].append(row)
    return chains


def _chain_problem(chain: Sequence[Any]) -> str | None:
    targets = [row.to_status for row in chain]
    if chain[0].from_status is not None:
        return "does not start with a creation"
    if any(row.from_status != before.to_status for before, row in itertools.pairwise(chain)):
        return "is broken (a move from a status it was not in)"
    if len(set(targets)) != len(targets):
        return "reaches a status twice"
    if targets[-1] != chain[-1].status:
        return "does not end at the current status"
    return None
