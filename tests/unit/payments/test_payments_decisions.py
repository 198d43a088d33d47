"""The payments rules on a ledger, with no storage and no provider: what each event decides and asks for."""

from __future__ import annotations

import uuid

import pytest

from app.payments import ChargeResult, PaymentStatus
from app.payments.decisions import Call, open_payments, settle
from app.payments.domain import Payment
from app.payments.ledger import Book, Ledger
from tests.unit.payments.payment_events import AMOUNT, cancelled, created

APPROVED = ChargeResult(PaymentStatus.APPROVED)


def ledger_with(
    status: PaymentStatus | None = None, *, cancelled_before: bool = False
) -> tuple[Ledger, uuid.UUID]:
    """A ledger holding one order's book: its payment in `status` (None: no payment yet)."""
    order_id = uuid.uuid4()
    payment = None if status is None else Payment(uuid.uuid4(), order_id, AMOUNT, status, None, "corr-0")
    return Ledger({order_id: Book(cancelled_before, payment)}, set()), order_id


def test_a_new_order_opens_a_processing_payment_and_asks_for_its_charge() -> None:
    ledger, order_id = ledger_with()
    message = created(order_id)

    steps = open_payments(ledger, [message])

    (opened,) = ledger.opened.values()
    assert [(step.call, step.message, step.payment) for step in steps] == [(Call.CHARGE, message, opened)]
    assert (opened.status, opened.amount, opened.correlation_id) == (
        PaymentStatus.PROCESSING,
        AMOUNT,
        "corr-create",
    )
    assert ledger.events == []
    assert ledger.claims == []


def test_an_order_cancelled_first_opens_its_payment_cancelled_and_asks_for_nothing() -> None:
    ledger, order_id = ledger_with(cancelled_before=True)
    message = created(order_id)

    steps = open_payments(ledger, [message])

    (opened,) = ledger.opened.values()
    assert steps == []
    assert (opened.status, opened.reason) == (PaymentStatus.CANCELLED, "order_cancelled_before_payment")
    assert [envelope.type for envelope in ledger.events] == ["payment.cancelled"]
    assert ledger.claims == [message]


def test_created_then_cancelled_in_one_batch_asks_for_no_charge() -> None:
    ledger, order_id = ledger_with()
    creation, cancel = created(order_id), cancelled(order_id)

    steps = open_payments(ledger, [creation, cancel])

    assert [(step.call, step.message) for step in steps] == [(Call.GIVE_BACK, cancel)]
    assert ledger.book(order_id).payment.status is PaymentStatus.CANCELLED
    assert ledger.claims == [creation]


def test_an_event_claimed_before_is_skipped() -> None:
    ledger, order_id = ledger_with(PaymentStatus.PROCESSING)
    message = created(order_id)
    ledger.claimed.add(message.id)

    steps = open_payments(ledger, [message])

    assert steps == []
    assert (ledger.opened, ledger.changed, ledger.lines, ledger.claims) == ({}, {}, [], [])


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (PaymentStatus.PROCESSING, Call.CHARGE),
        (PaymentStatus.CANCELLED, Call.RELEASE),
        (PaymentStatus.FAILED, Call.RELEASE),
        (PaymentStatus.APPROVED, None),
        (PaymentStatus.DECLINED, None),
        (PaymentStatus.REFUNDED, None),
    ],
)
def test_a_creation_of_an_order_that_has_a_payment_never_opens_another(
    status: PaymentStatus, call: Call | None
) -> None:
    ledger, order_id = ledger_with(status)
    existing = ledger.book(order_id).payment

    steps = open_payments(ledger, [created(order_id)])

    assert [(step.call, step.payment) for step in steps] == ([] if call is None else [(call, existing)])
    assert ledger.opened == {}
    assert len(ledger.claims) == (1 if call is None else 0)


@pytest.mark.parametrize(
    ("status", "call", "after"),
    [
        (PaymentStatus.PROCESSING, Call.GIVE_BACK, PaymentStatus.CANCELLED),
        (PaymentStatus.CANCELLED, Call.GIVE_BACK, PaymentStatus.CANCELLED),
        (PaymentStatus.APPROVED, Call.REFUND, PaymentStatus.APPROVED),
        (PaymentStatus.DECLINED, None, PaymentStatus.DECLINED),
        (PaymentStatus.FAILED, None, PaymentStatus.FAILED),
        (PaymentStatus.REFUNDED, None, PaymentStatus.REFUNDED),
    ],
)
def test_a_cancel_tombstones_the_order_and_asks_the_provider_only_where_money_may_be_held(
    status: PaymentStatus, call: Call | None, after: PaymentStatus
) -> None:
    ledger, order_id = ledger_with(status)
    message = cancelled(order_id)

    steps = open_payments(ledger, [message])

    assert [step.call for step in steps] == ([] if call is None else [call])
    assert ledger.book(order_id).payment.status is after
    assert ledger.tombstones == [(order_id, message.id)]


def test_a_second_cancel_in_one_batch_adds_no_second_tombstone() -> None:
    ledger, order_id = ledger_with()
    first = cancelled(order_id)

    open_payments(ledger, [first, cancelled(order_id)])

    assert ledger.tombstones == [(order_id, first.id)]


def test_settling_an_approval_approves_the_payment_and_claims_the_event() -> None:
    ledger, order_id = ledger_with()
    (step,) = open_payments(ledger, [created(order_id)])

    voids = settle(ledger, [(step, APPROVED)])

    assert voids == []
    assert ledger.book(order_id).payment.status is PaymentStatus.APPROVED
    assert [envelope.type for envelope in ledger.events] == ["payment.approved"]
    assert ledger.claims == [step.message]


def test_settling_no_answer_claims_the_event_and_leaves_the_payment_processing() -> None:
    ledger, order_id = ledger_with()
    (step,) = open_payments(ledger, [created(order_id)])

    voids = settle(ledger, [(step, None)])

    assert voids == []
    assert ledger.book(order_id).payment.status is PaymentStatus.PROCESSING
    assert ledger.claims == [step.message]


@pytest.mark.parametrize("ended", [PaymentStatus.CANCELLED, PaymentStatus.FAILED])
def test_an_approval_for_a_payment_that_ended_without_money_asks_for_a_void_and_claims_nothing(
    ended: PaymentStatus,
) -> None:
    ledger, order_id = ledger_with(PaymentStatus.PROCESSING)
    (step,) = open_payments(ledger, [created(order_id)])
    later = Ledger({order_id: Book(False, step.payment.moved(ended, "x"))}, set())

    voids = settle(later, [(step, APPROVED)])

    assert [(void.call, void.message) for void in voids] == [(Call.VOID, step.message)]
    assert later.claims == []
    assert later.book(order_id).payment.status is ended


def test_a_rejection_for_a_payment_that_ended_meanwhile_is_claimed_without_a_void() -> None:
    ledger, order_id = ledger_with(PaymentStatus.PROCESSING)
    (step,) = open_payments(ledger, [created(order_id)])
    later = Ledger(
        {order_id: Book(True, step.payment.moved(PaymentStatus.CANCELLED, "order_cancelled"))}, set()
    )

    voids = settle(later, [(step, ChargeResult(PaymentStatus.DECLINED, "card_declined"))])

    assert voids == []
    assert later.claims == [step.message]
    assert later.events == []


def test_a_settled_void_notes_the_payment_and_claims_the_event() -> None:
    ledger, order_id = ledger_with(PaymentStatus.PROCESSING)
    (step,) = open_payments(ledger, [created(order_id)])
    later = Ledger(
        {order_id: Book(False, step.payment.moved(PaymentStatus.CANCELLED, "order_cancelled"))}, set()
    )
    (void,) = settle(later, [(step, APPROVED)])

    settle(later, [(void, None)])

    assert [line.reason for line in later.lines] == ["late_approval_voided"]
    assert later.claims == [step.message]
    assert later.events == []


def test_a_settled_refund_moves_the_approved_payment_to_refunded() -> None:
    ledger, order_id = ledger_with(PaymentStatus.APPROVED)
    (step,) = open_payments(ledger, [cancelled(order_id)])

    settle(ledger, [(step, None)])

    payment = ledger.book(order_id).payment
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "order_cancelled")
    assert [envelope.type for envelope in ledger.events] == ["payment.refunded"]


def test_a_step_whose_event_a_concurrent_delivery_claimed_is_not_settled_again() -> None:
    ledger, order_id = ledger_with(PaymentStatus.PROCESSING)
    (step,) = open_payments(ledger, [created(order_id)])
    later = Ledger(
        {order_id: Book(False, step.payment.moved(PaymentStatus.APPROVED, None))}, {step.message.id}
    )

    voids = settle(later, [(step, APPROVED)])

    assert voids == []
    assert (later.claims, later.lines, later.events) == ([], [], [])
