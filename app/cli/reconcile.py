"""`payflow reconcile`: read every module's side in one snapshot, report the orders breaking an invariant."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.cli.arguments import iso_time, non_negative_int
from app.cli.commands import load_settings
from app.cli.guards import reaching_services
from app.cli.invariants import KINDS, OrderRecord, PaymentRecord, Report, reconcile
from app.cli.output import write, write_json, write_table
from app.config import Settings
from app.gateway import accepted_orders
from app.orders import order_statuses
from app.payments import payment_statuses
from app.persistence import build_engine

DEFAULT_STUCK_AFTER_S = 60


def register(sub: Any) -> None:
    """Add the `reconcile` subcommand."""
    parser = sub.add_parser(
        "reconcile",
        help="check every accepted order ended with exactly one consistent payment; exit 1 when not",
        description="Exit 0 when every order and payment is consistent, 1 when any is missing, "
        "inconsistent or stuck. Orders changed within --stuck-after seconds are in flight and not judged.",
    )
    parser.add_argument(
        "--stuck-after",
        type=non_negative_int,
        default=DEFAULT_STUCK_AFTER_S,
        metavar="SECONDS",
        help=f"unsettled work unchanged this long counts as stuck (default {DEFAULT_STUCK_AFTER_S})",
    )
    parser.add_argument("--since", type=iso_time, metavar="ISO", help="only orders accepted at or after this")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings("reconcile")
    with reaching_services(settings):
        report = check(settings, args.since, timedelta(seconds=args.stuck_after))
    if args.json:
        write_json(as_document(report, args.stuck_after))
    else:
        show(report, args.stuck_after)
    return 0 if report.consistent else 1


def check(settings: Settings, since: datetime | None, stuck_after: timedelta) -> Report:
    """Read the gateway's, orders' and payments' views in one read-only snapshot, then compare them."""
    engine = build_engine(
        settings.database_url,
        application_name="payflow-reconcile",
        connect_timeout_s=settings.db_connect_timeout_s,
        pool_size=1,
    )
    try:
        snapshot = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with engine.connect().execution_options(**snapshot) as conn, conn.begin():
            now = conn.execute(select(func.now())).scalar_one()  # the snapshot's time, by the database clock
            accepted = dict(accepted_orders(conn, since))
            orders = [OrderRecord(*row) for row in order_statuses(conn, since)]
            payments = [PaymentRecord(*row) for row in payment_statuses(conn, since)]
    finally:
        engine.dispose()
    return reconcile(accepted, orders, payments, now=now, stuck_after=stuck_after)


def show(report: Report, stuck_after_s: int) -> None:
    """The problems as a table, then the in-flight note and the summary line."""
    if report.problems:
        write_table(("PROBLEM", "ORDER", "DETAIL"), ((p.kind, p.order_id, p.detail) for p in report.problems))
        write()
    if report.in_flight:
        write(f"in flight (changed within {stuck_after_s} s, not judged): {report.in_flight}")
    write(report.summary())
    verdict = "consistent" if report.consistent else f"NOT consistent: {len(report.problems)} order(s) above"
    write(verdict)


def as_document(report: Report, stuck_after_s: int) -> dict[str, object]:
    return {
        "consistent": report.consistent,
        "summary": report.summary(),
        "orders_accepted": report.accepted,
        "orders_settled": report.settled,
        "payments": report.payments,
        **{kind: report.count(kind) for kind in KINDS},
        "in_flight": report.in_flight,
        "stuck_after_s": stuck_after_s,
        "problems": [{"kind": p.kind, "order_id": p.order_id, "detail": p.detail} for p in report.problems],
    }
