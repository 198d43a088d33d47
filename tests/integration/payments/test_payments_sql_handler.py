"""The payments batch handler on PostgreSQL: one payment per order, each event applied once, no money kept
for a cancelled order."""

from __future__ import annotations

import functools
import threading
import uuid

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import OperationalError

from app import payments
from app.payments.domain import ConcurrentChange, PaymentStatus
from app.payments.ledger import Cause
from app.payments.tables import outbox
from app.payments.tables import payments as payments_table
from app.payments.unit_of_work import SqlPaymentsUnitOfWork
from app.persistence import build_engine
from tests.integration.events import cancelled, created
from tests.integration.payments.sql_payments import (
    DEADLINE_S,
    FakeProvider,
    backdate,
    build,
    deliver,
    events_of,
    history_reasons,
    payment_id_of,
    status_of,
)
from tests.integration.racing import run_together

pytestmark = pytest.mark.integration


def test_duplicate_deliveries_charge_once_refund_once_and_announce_once(engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakeProvider()
    module, create, cancel = build(engine, provider), created(order_id), cancelled(order_id)

    for batch in ([create], [create], [cancel], [cancel, create]):
        deliver(module, *batch)

    assert status_of(engine, order_id) == ("REFUNDED", "order_cancelled")
    assert len(provider.charges) == 1
    assert provider.refunds == [payment_id_of(engine, order_id)]
    assert events_of(engine, order_id) == [
        ("payment.approved", f"corr-{order_id}"),
        ("payment.refunded", "corr-cancel"),
    ]


def test_a_cancel_before_the_order_reaches_payments_never_charges(engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakeProvider()
    module = build(engine, provider)

    for batch in ([cancelled(order_id)], [created(order_id)], [created(order_id)]):
        deliver(module, *batch)

    assert status_of(engine, order_id) == ("CANCELLED", "order_cancelled_before_payment")
    assert provider.charges == []
    assert [event for event, _ in events_of(engine, order_id)] == ["payment.cancelled"]


def test_a_cancel_later_in_the_same_batch_stops_the_charge(engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakeProvider()

    deliver(build(engine, provider), created(order_id), cancelled(order_id))

    assert status_of(engine, order_id) == ("CANCELLED", "order_cancelled_before_payment")
    assert provider.charges == []
    assert [event for event, _ in events_of(engine, order_id)] == ["payment.cancelled"]


def test_a_charge_that_broke_off_is_made_again_under_the_same_payment_id_on_redelivery(
    engine: Engine,
) -> None:
    order_id = uuid.uuid4()
    create = created(order_id)
    broken, answering = FakeProvider(error=ConnectionError("provider unreachable")), FakeProvider()
    with pytest.raises(ConnectionError):
        deliver(build(engine, broken), create)
    interrupted = status_of(engine, order_id)

    deliver(build(engine, answering), create)

    assert interrupted == ("PROCESSING", None)
    assert status_of(engine, order_id) == ("APPROVED", None)
    assert broken.charged() == answering.charged() == {payment_id_of(engine, order_id)}


def test_a_charge_never_answered_is_left_processing_for_the_sweeper(engine: Engine) -> None:
    order_id = uuid.uuid4()
    create = created(order_id)
    silent = FakeProvider(answer=None)

    deliver(build(engine, silent), create)
    deliver(build(engine, silent), create)

    assert status_of(engine, order_id) == ("PROCESSING", None)
    assert len(silent.charges) == 1
    assert events_of(engine, order_id) == []


def test_a_cancel_landing_during_the_charge_cancels_and_gives_the_late_approval_back(engine: Engine) -> None:
    order_id = uuid.uuid4()
    provider = FakeProvider()
    module = build(engine, provider)
    provider.during_charge = functools.partial(deliver, module, cancelled(order_id))

    deliver(module, created(order_id))

    assert status_of(engine, order_id) == ("CANCELLED", "order_cancelled")
    assert provider.charged() <= set(provider.refunds)
    assert "late_approval_voided" in history_reasons(engine, order_id)


class WorkerDied(Exception):
    """The worker died after the provider took the charge, before it recorded anything."""


@pytest.mark.parametrize("ended_by", ["cancel", "sweeper"])
def test_a_charge_landing_after_an_overlapping_delivery_released_its_payment_is_given_back_if_its_worker_dies(
    engine: Engine, ended_by: str
) -> None:
    order_id = uuid.uuid4()
    create = created(order_id)
    dying, other = FakeProvider(error=WorkerDied("after the charge")), FakeProvider()

    def while_the_charge_is_on_its_way() -> None:
        if ended_by == "cancel":
            deliver(build(engine, other), cancelled(order_id))
        else:
            backdate(engine, [order_id], seconds=DEADLINE_S + 60)
            build(engine, other).sweep()
        deliver(build(engine, other), create)  # a redelivery overlapping the first attempt: released, claimed

    dying.during_charge = while_the_charge_is_on_its_way
    with pytest.raises(WorkerDied):
        deliver(build(engine, dying), create)  # the charge lands after every refund made so far
    refunds_before_the_charge_landed = len(other.refunds)

    deliver(build(engine, other), create)  # the bus delivers the dead worker's batch again

    payment_id = payment_id_of(engine, order_id)
    assert status_of(engine, order_id)[0] in {"CANCELLED", "FAILED"}
    assert dying.charged() == {payment_id}
    assert payment_id in other.refunds[refunds_before_the_charge_landed:]
    assert history_reasons(engine, order_id)[-1] == "released_on_redelivery"


def test_create_racing_cancel_on_two_workers_never_keeps_money(engine: Engine) -> None:
    provider = FakeProvider()
    one, other = build(engine, provider), build(engine, provider)
    order_ids = [uuid.uuid4() for _ in range(20)]

    for order_id in order_ids:
        run_together(
            functools.partial(deliver, one, created(order_id)),
            functools.partial(deliver, other, cancelled(order_id)),
        )

    statuses = {order_id: status_of(engine, order_id)[0] for order_id in order_ids}
    assert set(statuses.values()) <= {"CANCELLED", "REFUNDED"}
    assert provider.charged() <= set(provider.refunds)


def test_two_workers_applying_the_same_creations_at_once_open_exactly_one_payment_per_order(
    engine: Engine,
) -> None:
    provider = FakeProvider()
    batch = [created(uuid.uuid4()) for _ in range(30)]
    one, other = build(engine, provider), build(engine, provider)

    run_together(functools.partial(deliver, one, *batch), functools.partial(deliver, other, *reversed(batch)))

    order_ids = [message.event.order_id for message in batch]
    per_order = select(payments_table.c.order_id, func.count()).group_by(payments_table.c.order_id)
    with engine.connect() as conn:
        counts = dict(conn.execute(per_order).all())
        announced = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert counts == dict.fromkeys(order_ids, 1)
    assert announced == len(order_ids)
    assert provider.charged() == {payment_id_of(engine, order_id) for order_id in order_ids}


def test_a_payment_changed_behind_the_lock_is_not_overwritten(engine: Engine) -> None:
    order_id = uuid.uuid4()
    deliver(build(engine, FakeProvider(answer=None)), created(order_id))  # left PROCESSING

    with SqlPaymentsUnitOfWork(engine) as uow:
        ledger = uow.read([order_id], [])
        payment = ledger.books[order_id].payment
        assert payment is not None
        with engine.begin() as behind:  # a writer that ignores the order's lock
            behind.execute(update(payments_table).values(status="FAILED", reason="provider_timeout"))
        ledger.move(payment, PaymentStatus.APPROVED, None, Cause("payment.test", None, "corr-test"))
        with pytest.raises(ConcurrentChange):
            uow.save(ledger)

    assert status_of(engine, order_id) == ("FAILED", "provider_timeout")
    assert events_of(engine, order_id) == []


def test_the_unit_of_work_keeps_nothing_unless_committed(engine: Engine) -> None:
    order_id = uuid.uuid4()
    cause = Cause("order.created", uuid.uuid4(), "corr-test")

    with SqlPaymentsUnitOfWork(engine) as uow:
        ledger = uow.read([order_id], [])
        ledger.open(order_id, created(order_id).event.total, PaymentStatus.DECLINED, "card_declined", cause)
        uow.save(ledger)

    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(payments_table)).scalar_one()
        announced = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert (stored, announced) == (0, 0)


def test_the_relay_is_woken_after_each_commit_that_added_events_and_only_then(engine: Engine) -> None:
    order_id, committed_when_woken = uuid.uuid4(), []
    module = payments.build(
        engine,
        FakeProvider(),
        deadline_s=60,
        written=lambda: committed_when_woken.append(len(events_of(engine, order_id))),
    )

    deliver(module, created(order_id))
    woken_after_the_charge = list(committed_when_woken)
    deliver(module, created(order_id))  # a duplicate: nothing new to announce

    assert [event for event, _ in events_of(engine, order_id)] == ["payment.approved"]
    assert (woken_after_the_charge, committed_when_woken) == ([1], [1])  # once, with the event committed


def test_an_uncommitted_transaction_wakes_no_relay(engine: Engine) -> None:
    order_id, wakes = uuid.uuid4(), []
    cause = Cause("order.created", uuid.uuid4(), "corr-test")

    with SqlPaymentsUnitOfWork(engine, written=lambda: wakes.append(1)) as uow:
        ledger = uow.read([order_id], [])
        ledger.open(order_id, created(order_id).event.total, PaymentStatus.DECLINED, "card_declined", cause)
        uow.save(ledger)

    assert wakes == []


def test_a_transaction_holds_the_process_lock_from_start_to_end(engine: Engine) -> None:
    serial = threading.Lock()

    with SqlPaymentsUnitOfWork(engine, serial) as uow:
        held = serial.locked()
        uow.read([uuid.uuid4()], [])

    assert held
    assert not serial.locked()


def test_a_transaction_that_cannot_connect_releases_the_process_lock() -> None:
    serial = threading.Lock()
    unreachable = build_engine("postgresql://payflow@127.0.0.1:1/payflow", application_name="payflow-tests")
    uow = SqlPaymentsUnitOfWork(unreachable, serial)

    with pytest.raises(OperationalError):
        uow.__enter__()

    assert not serial.locked()
