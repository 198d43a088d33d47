"""`payflow history ORDER_ID` on orders taken through the gateway's store and both modules on PostgreSQL,
each module handed the events the others wrote: every step in time order with its cause, the verdict, and
the exit code."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from app import orders
from app.contracts import Incoming, OrderCancelled, OrderCreated, read_message
from app.gateway import SqlCommandStore
from app.payments import ChargeResult
from app.payments.tables import outbox, payment_history, payments
from tests.integration.cli.conftest import Payflow, Rows
from tests.integration.gateway.commands import cancellation, creation
from tests.integration.payments.sql_payments import (
    APPROVED,
    DEADLINE_S,
    DECLINED,
    FakeProvider,
    backdate,
    build,
    deliver,
)

pytestmark = pytest.mark.integration


def charged(
    engine: Engine, autocommit_engine: Engine, provider: FakeProvider, key: str | None = None
) -> uuid.UUID:
    """An order accepted by the gateway, opened by orders and charged by payments as `provider` answers;
    its id."""
    command, event = creation(key=key)
    SqlCommandStore(autocommit_engine).record(command, event)
    created = read_message(event.to_json().encode())
    orders.build(engine).handlers[OrderCreated]([created])
    deliver(build(engine, provider), created)
    return command.order_id


def settled(
    engine: Engine, autocommit_engine: Engine, answer: ChargeResult
) -> tuple[uuid.UUID, Incoming[Any]]:
    """`charged` (with an Idempotency-Key), then the answer applied by orders; (order id, the answer's
    event)."""
    order_id = charged(engine, autocommit_engine, FakeProvider(answer), key="key-history")
    answered = last_payment_event(engine)
    orders.build(engine).handlers[type(answered.event)]([answered])
    return order_id, answered


def last_payment_event(engine: Engine) -> Incoming[Any]:
    """The event payments wrote last, as the bus hands it to orders."""
    with engine.connect() as conn:
        body = conn.execute(select(outbox.c.body).order_by(outbox.c.seq.desc()).limit(1)).scalar_one()
    return read_message(body.encode())


def steps(out: str) -> list[tuple[str, str]]:
    """(module, change) of each timed line."""
    timed = [line.split(maxsplit=2)[1:] for line in out.splitlines() if line[:2] == "20"]
    return [(module, rest.split(" on ")[0].split(":")[0]) for module, rest in timed]


def test_a_paid_order_lists_its_command_then_each_change_with_the_event_that_caused_it(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id, approval = settled(engine, autocommit_engine, APPROVED)

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith(f"order {order_id}: PAID, total 12.50")
    assert steps(outcome.out) == [
        ("gateway", "accepted create_order (202)"),
        ("orders", "(new) -> PENDING"),
        ("payments", "(new) -> PROCESSING"),
        ("payments", "PROCESSING -> APPROVED"),
        ("orders", "PENDING -> PAID"),
    ]
    assert "key key-history, API key -, correlation corr-gateway, not published yet" in outcome.out
    assert f"PENDING -> PAID on payment.approved {approval.id}" in outcome.out
    assert outcome.out.rstrip().endswith("reconcile: consistent")


def test_a_declined_order_shows_the_providers_reason_and_its_failure(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id, decline = settled(engine, autocommit_engine, DECLINED)

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert outcome.code == 0, outcome.err
    assert "DECLINED (card_declined), amount 12.50" in outcome.out
    assert ("payments", "PROCESSING -> DECLINED") in steps(outcome.out)
    assert f"PENDING -> FAILED on payment.declined {decline.id}" in outcome.out


def test_control_characters_in_a_providers_reason_are_escaped_on_every_line(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id = charged(engine, autocommit_engine, FakeProvider(DECLINED))
    forged = "card_declined\n2026-01-01  orders  FAKE\x1b[31m"  # as stored before reasons were cleaned
    with engine.begin() as conn:
        mine = select(payments.c.id).where(payments.c.order_id == order_id).scalar_subquery()
        conn.execute(update(payments).where(payments.c.order_id == order_id).values(reason=forged))
        conn.execute(
            update(payment_history).where(payment_history.c.payment_id == mine).values(reason=forged)
        )

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert "\x1b" not in outcome.out
    assert "FAKE" not in "".join(line for line in outcome.out.splitlines() if line.startswith("2026-01-01"))
    assert "DECLINED (card_declined\\n2026-01-01  orders  FAKE\\x1b[31m), amount 12.50" in outcome.out
    assert "PROCESSING -> DECLINED on order.created" in outcome.out


def test_a_paid_order_cancelled_later_shows_the_cancel_and_the_refund_it_caused(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id, _ = settled(engine, autocommit_engine, APPROVED)
    command, event = cancellation(order_id, key="key-cancel")
    SqlCommandStore(autocommit_engine).record(command, event)
    cancelled = read_message(event.to_json().encode())
    orders.build(engine).handlers[OrderCancelled]([cancelled])
    deliver(build(engine, FakeProvider()), cancelled)

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert outcome.code == 0, outcome.err
    assert steps(outcome.out)[-3:] == [
        ("gateway", "accepted cancel_order (202)"),
        ("orders", "PAID -> CANCELLED"),
        ("payments", "APPROVED -> REFUNDED"),
    ]
    assert f"APPROVED -> REFUNDED on order.cancelled {cancelled.id}" in outcome.out
    assert outcome.out.rstrip().endswith("reconcile: consistent")


def test_an_order_cancelled_before_payments_heard_of_it_shows_a_payment_born_cancelled(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    store, provider = SqlCommandStore(autocommit_engine), FakeProvider()
    create, create_event = creation()
    cancel, cancel_event = cancellation(create.order_id)
    store.record(create, create_event)
    store.record(cancel, cancel_event)
    created, cancelled = (read_message(event.to_json().encode()) for event in (create_event, cancel_event))
    orders.build(engine).handlers[OrderCreated]([created, cancelled])
    deliver(build(engine, provider), cancelled)
    deliver(build(engine, provider), created)

    outcome = payflow("history", str(create.order_id), "--stuck-after", "0")

    assert outcome.code == 0, outcome.err
    assert ("payments", "(new) -> CANCELLED") in steps(outcome.out)
    assert ("orders", "PENDING -> CANCELLED") in steps(outcome.out)
    assert provider.charges == []
    assert outcome.out.rstrip().endswith("reconcile: consistent")


def test_a_payment_the_sweeper_failed_shows_the_sweeper_as_cause_and_its_release_as_a_note(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id = charged(engine, autocommit_engine, FakeProvider(answer=None))
    backdate(engine, [order_id], seconds=DEADLINE_S + 60)
    build(engine, FakeProvider()).sweep()
    orders.build(engine).handlers[OrderCreated]([last_payment_event(engine)])

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert outcome.code == 0, outcome.out
    assert steps(outcome.out)[-3:] == [
        ("payments", "PROCESSING -> FAILED"),
        ("payments", "note, still FAILED"),
        ("orders", "PENDING -> FAILED"),
    ]
    lines = outcome.out.splitlines()
    assert lines[-5].endswith("PROCESSING -> FAILED on payments.sweeper: provider_timeout")
    assert lines[-4].endswith("note, still FAILED on payments.sweeper: released_after_timeout")
    assert "None" not in outcome.out


def test_an_order_that_does_not_add_up_says_why_with_exit_code_one(payflow: Payflow, rows: Rows) -> None:
    order_id = rows.order("PAID", "DECLINED")

    outcome = payflow("history", str(order_id), "--stuck-after", "0")

    assert outcome.code == 1
    assert "reconcile: inconsistent: order PAID, payment DECLINED" in outcome.out


def test_recent_work_is_in_flight_not_judged(payflow: Payflow, rows: Rows) -> None:
    order_id = rows.order("PENDING", "PROCESSING")

    outcome = payflow("history", str(order_id))

    assert outcome.code == 0
    # The default: the payment deadline (120 s) and two sweeps.
    assert "reconcile: in flight (changed within the last 130 s, not judged yet)" in outcome.out


def test_the_json_document_has_the_order_its_payment_and_each_step(
    payflow: Payflow, engine: Engine, autocommit_engine: Engine
) -> None:
    order_id, _ = settled(engine, autocommit_engine, APPROVED)

    document = payflow("history", str(order_id), "--stuck-after", "0", "--json").json()

    assert (document["order"]["id"], document["order"]["status"]) == (str(order_id), "PAID")
    assert document["payment"]["status"] == "APPROVED"
    assert [step["module"] for step in document["steps"]] == [
        "gateway",
        "orders",
        "payments",
        "payments",
        "orders",
    ]
    assert (document["verdict"], document["problem"], document["release_owed_since"]) == (
        "consistent",
        False,
        None,
    )


def test_an_order_nobody_knows_is_one_line_with_exit_code_one(payflow: Payflow) -> None:
    unknown = uuid.uuid4()

    outcome = payflow("history", str(unknown))

    assert outcome.code == 1
    assert outcome.out == ""
    assert f"nothing is known of order {unknown}" in outcome.err


def test_an_id_that_is_not_a_uuid_is_refused_before_anything_is_read(
    payflow: Payflow, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        payflow("history", "order-1")

    assert exited.value.code == 2
    assert "'order-1' is not an order id (a UUID)" in capsys.readouterr().err
