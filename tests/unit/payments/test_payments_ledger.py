"""The ledger of one payments transaction: its writes, what it announces, and what it refuses."""

from __future__ import annotations

import uuid

import pytest

from app.payments import PaymentStatus
from app.payments.domain import ConcurrentChange, Payment
from app.payments.ledger import Cause, Ledger
from tests.unit.payments.payment_events import AMOUNT

CAUSE = Cause("order.created", uuid.uuid4(), "corr-1")


def test_a_payment_opened_processing_is_recorded_but_not_announced() -> None:
    ledger, order_id = Ledger({}, set()), uuid.uuid4()

    payment = ledger.open(order_id, AMOUNT, PaymentStatus.PROCESSING, None, CAUSE)

    assert ledger.book(order_id).payment == payment
    assert [(line.from_status, line.to_status) for line in ledger.lines] == [(None, PaymentStatus.PROCESSING)]
    assert ledger.events == []


def test_a_payment_opened_in_a_final_status_is_announced_with_the_cause_correlation() -> None:
    ledger = Ledger({}, set())

    ledger.open(uuid.uuid4(), AMOUNT, PaymentStatus.CANCELLED, "order_cancelled_before_payment", CAUSE)

    assert [(envelope.type, envelope.correlation_id) for envelope in ledger.events] == [
        ("payment.cancelled", "corr-1")
    ]
    assert ledger.events[0].payload["reason"] == "order_cancelled_before_payment"


def test_a_move_the_transitions_table_refuses_changes_nothing() -> None:
    ledger, order_id = Ledger({}, set()), uuid.uuid4()
    payment = ledger.open(order_id, AMOUNT, PaymentStatus.CANCELLED, None, CAUSE)

    moved = ledger.move(payment, PaymentStatus.APPROVED, None, CAUSE)

    assert moved is False
    assert ledger.book(order_id).payment == payment
    assert len(ledger.lines) == 1


def test_moving_a_payment_that_is_not_the_orders_payment_is_refused_loudly() -> None:
    ledger, order_id = Ledger({}, set()), uuid.uuid4()
    ledger.open(order_id, AMOUNT, PaymentStatus.PROCESSING, None, CAUSE)
    stranger = Payment(uuid.uuid4(), order_id, AMOUNT, PaymentStatus.PROCESSING, None, "corr-2")

    with pytest.raises(ConcurrentChange):
        ledger.move(stranger, PaymentStatus.APPROVED, None, CAUSE)


def test_a_note_adds_a_history_line_without_changing_the_status() -> None:
    ledger, order_id = Ledger({}, set()), uuid.uuid4()
    payment = ledger.open(order_id, AMOUNT, PaymentStatus.FAILED, "provider_timeout", CAUSE)

    ledger.note(payment, "released_on_redelivery", CAUSE)

    last = ledger.lines[-1]
    assert (last.from_status, last.to_status, last.reason) == (
        PaymentStatus.FAILED,
        PaymentStatus.FAILED,
        "released_on_redelivery",
    )
    assert len(ledger.events) == 1
