"""`payflow reconcile`: read every module's side through its queries, report orders breaking an invariant."""

import argparse
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.cli.console import (
    CommandError,
    add_stuck_after,
    iso_time,
    owner_engine,
    reaching_services,
    stuck_after_s,
    write,
    write_json,
    write_table,
)
from app.cli.invariants import KINDS, OrderRecord, PaymentRecord, Report, reconcile
from app.config import Settings
from app.gateway import SqlCommandStore
from app.orders import OrderQueries
from app.payments import PaymentQueries


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "reconcile",
        help="check every accepted order ended with exactly one consistent payment; exit 1 when not",
        description="Exit 0 when every order and payment is consistent, 1 when any is missing, inconsistent, "
        "stuck or still owed a release at the provider. Orders changed within --stuck-after seconds are in "
        "flight and not judged.",
    )
    add_stuck_after(parser)
    parser.add_argument("--since", type=iso_time, metavar="ISO", help="only orders accepted at or after this")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    with reaching_services("reconcile") as settings:
        stuck_after = stuck_after_s(args, settings)
        report = check(settings, args.since, timedelta(seconds=stuck_after))
    if args.json:
        write_json(_document(report, stuck_after))
    else:
        _show(report, stuck_after)
    return 0 if report.consistent else 1


def check(settings: Settings, since: datetime | None, stuck_after: timedelta) -> Report:
    """Read the gateway's, orders' and payments' views one after the other, then compare them. The reads
    are not one snapshot: what changes meanwhile was changed just now, so is in flight (unless stuck_after
    is 0, meant for a quiet system)."""
    with owner_engine(settings, "reconcile") as engine:
        with engine.connect() as conn:
            now = conn.execute(select(func.now())).scalar_one()  # by the database clock
        if since is not None and since > now:  # a mistyped year would judge nothing and say consistent
            raise CommandError(f"--since {since.isoformat()} is later than the database's clock ({now})")
        if since is not None and since < (kept := now - timedelta(hours=settings.events_kept_h)):
            # Purged commands would leave orders accepted before `since` looking accepted after it.
            raise CommandError(f"--since {since.isoformat()} is before {kept}: older commands are purged")
        accepted = SqlCommandStore(engine).accepted_orders()
        orders = [OrderRecord(*row) for row in OrderQueries(engine).statuses(since)]
        payment_queries = PaymentQueries(engine)
        payments = [PaymentRecord(*row) for row in payment_queries.statuses(since)]
        owed = payment_queries.owed_since()
    views = _accepted_since(since, accepted, orders, payments)
    return reconcile(*views, now=now, stuck_after=stuck_after, owed=owed)


def _accepted_since(
    since: datetime | None,
    accepted: dict[uuid.UUID, datetime],
    orders: list[OrderRecord],
    payments: list[PaymentRecord],
) -> tuple[dict[uuid.UUID, datetime], list[OrderRecord], list[PaymentRecord]]:
    """Leave out orders the gateway accepted before `since`: a module that was down stores its half of one
    after `since` while the other half, stored before, is not read, and the order would look half missing."""
    if since is None:
        return accepted, orders, payments
    earlier = {order_id for order_id, at in accepted.items() if at < since}
    return (
        {order_id: at for order_id, at in accepted.items() if at >= since},
        [order for order in orders if order.id not in earlier],
        [payment for payment in payments if payment.order_id not in earlier],
    )


def _show(report: Report, stuck_after_s: int) -> None:
    if report.problems:
        write_table(("PROBLEM", "ORDER", "DETAIL"), ((p.kind, p.order_id, p.detail) for p in report.problems))
        write()
    if report.in_flight:
        write(f"in flight (changed within {stuck_after_s} s, not judged): {report.in_flight}")
    write(report.summary())
    problems = f"NOT consistent: {len(report.problems)} order(s) above (`payflow history ORDER_ID` for one)"
    write("consistent" if report.consistent else problems)


def _document(report: Report, stuck_after_s: int) -> dict[str, object]:
    return {
        "consistent": report.consistent,
        "summary": report.summary(),
        "orders_accepted": report.accepted,
        "orders_settled": report.settled,
        "payments": report.payments,
        **{kind: report.count(kind) for kind in KINDS},
        "in_flight": report.in_flight,
        "stuck_after_s": stuck_after_s,
        "problems": [asdict(problem) for problem in report.problems],
    }
