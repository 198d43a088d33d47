"""`payflow history ORDER_ID`: what each module did with one order, in time order, and whether it adds up."""

import argparse
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.cli import console
from app.cli.invariants import OrderRecord, PaymentRecord, reconcile
from app.config import Settings
from app.gateway import CREATE_ORDER, CommandRecord, SqlCommandStore
from app.logs import escape_controls
from app.orders import OrderQueries, OrderView
from app.payments import PaymentQueries, PaymentView
from app.persistence import Change


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "history",
        help="show what every module did with one order, in time order; exit 1 when it does not add up",
        description="The commands the gateway accepted for the order (who sent them, what they answered, "
        "when their event left), then every change of the order and of its payment with the event that "
        "caused it and the provider's reasons, oldest first; last, what `payflow reconcile` says of it.",
    )
    parser.add_argument("order_id", type=console.uuid_of("an order id"), metavar="ORDER_ID")
    console.add_stuck_after(parser)
    parser.add_argument("--json", action="store_true", help="print the history as one JSON document")
    parser.set_defaults(handler=_run)


@dataclass(frozen=True)
class Step:
    """One line of the history: when, which module, what changed, the event that caused it, and more."""

    at: datetime
    module: str
    change: str
    event_type: str | None
    event_id: uuid.UUID | None
    detail: str


def _run(args: argparse.Namespace) -> int:
    with console.reaching_services("history") as settings:
        stuck_after = timedelta(seconds=console.stuck_after_s(args, settings))
        document = gather(settings, args.order_id, stuck_after)
    if args.json:
        console.write_json(document)
    else:
        _show(document)
    return 1 if document["problem"] else 0


def gather(settings: Settings, order_id: uuid.UUID, stuck_after: timedelta) -> dict[str, Any]:
    """Read the order's side in each module (as the owner, from the primary), then judge it. The reads
    come one after another, not from one snapshot: what changed meanwhile is recent, so in flight."""
    with console.owner_engine(settings, "history") as engine:
        with engine.connect() as conn:
            now = conn.execute(select(func.now())).scalar_one()  # by the database clock
        commands = SqlCommandStore(engine).commands_for(order_id)
        orders, payments = OrderQueries(engine), PaymentQueries(engine)
        order, payment = orders.get(order_id), payments.for_order(order_id)
        steps = [_accepted(command) for command in commands]
        steps += [_changed("orders", change) for change in orders.history(order_id)]
        steps += [_changed("payments", change) for change in payments.history(payment.id)] if payment else []
        owed = payments.owed_since(payment.id) if payment else {}
    if not (commands or order or payment):
        raise console.CommandError(f"nothing is known of order {order_id}: never accepted, or purged since")
    accepted_at = next((command.created_at for command in commands if command.kind == CREATE_ORDER), None)
    problem, verdict = _judge(
        order_id, accepted_at, order, payment, owed=owed, now=now, stuck_after=stuck_after
    )
    return {
        "order": asdict(order) if order else None,
        "payment": asdict(payment) if payment else None,
        "release_owed_since": owed.get(order_id),
        "steps": [asdict(step) for step in sorted(steps, key=lambda step: step.at)],
        "verdict": verdict,
        "problem": problem,
    }


def _judge(
    order_id: uuid.UUID,
    accepted_at: datetime | None,
    order: OrderView | None,
    payment: PaymentView | None,
    *,
    owed: dict[uuid.UUID, datetime],
    now: datetime,
    stuck_after: timedelta,
) -> tuple[bool, str]:
    """What `payflow reconcile` would say of this order alone: (a problem?, in words)."""
    accepted = {order_id: accepted_at} if accepted_at else {}
    orders = [OrderRecord(order.id, order.status, order.updated_at)] if order else []
    paid = [PaymentRecord(payment.id, order_id, payment.status, payment.updated_at)] if payment else []
    report = reconcile(accepted, orders, paid, now=now, stuck_after=stuck_after, owed=owed)
    if report.problems:
        return True, f"{report.problems[0].kind}: {report.problems[0].detail}"
    recent = f"in flight (changed within the last {stuck_after.total_seconds():.0f} s, not judged yet)"
    return False, recent if report.in_flight else "consistent"


def _accepted(command: CommandRecord) -> Step:
    """The command's line; its event was last published when it last left (`payflow republish` resends)."""
    sent = f"key {command.idempotency_key or '-'}, API key {command.api_key_id or '-'}"
    last = command.published_at
    published = f"last published {last.isoformat()}" if last else "not published yet"
    detail = f"{sent}, correlation {command.correlation_id or '-'}, {published}"
    change = f"accepted {command.kind} ({command.response_status})"
    return Step(command.created_at, "gateway", change, command.event_type, command.event_id, detail)


def _changed(module: str, change: Change) -> Step:
    """A move of status, or a note on the status kept (a release given back, say)."""
    moved = f"{change.from_status or '(new)'} -> {change.to_status}"
    kept = f"note, still {change.to_status}"
    text = kept if change.from_status == change.to_status else moved
    return Step(change.at, module, text, change.event_type, change.event_id, change.reason or "")


def _show(document: dict[str, Any]) -> None:
    order, payment = document["order"], document["payment"]
    if order:
        console.write(
            f"order {order['id']}: {order['status']}, total {order['total']}, user {order['user_id']}"
        )
    else:
        console.write("order: not stored by the orders module")
    if payment:
        reason = f" ({payment['reason']})" if payment["reason"] else ""
        line = f"payment {payment['id']}: {payment['status']}{reason}, amount {payment['amount']}"
        console.write(escape_controls(line))
    if document["release_owed_since"]:
        console.write(f"a release at the provider is owed since {document['release_owed_since'].isoformat()}")
    console.write()
    for step in document["steps"]:
        cause = " ".join(str(part) for part in (step["event_type"], step["event_id"]) if part)
        cause = f" on {cause}" if cause else ""
        detail = f": {step['detail']}" if step["detail"] else ""
        line = f"{step['at'].isoformat()}  {step['module']:<8}  {step['change']}{cause}{detail}"
        console.write(escape_controls(line))  # a real provider's reasons are its own text
    console.write()
    console.write(f"reconcile: {document['verdict']}")
