"""The payment state machine: what may follow what, and the event announcing each status."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.contracts import PaymentApproved, PaymentCancelled, PaymentDeclined, PaymentFailed, PaymentRefunded
from app.payments import HANDLED, PaymentStatus
from app.payments.domain import RESULT_EVENTS, TRANSITIONS, WITHOUT_MONEY, Payment


def payment(status: PaymentStatus, reason: str | None = None) -> Payment:
    return Payment(uuid.uuid4(), uuid.uuid4(), Decimal("12.30"), status, reason, "corr-1")


def test_a_processing_payment_can_be_approved_declined_failed_or_cancelled() -> None:
    targets = TRANSITIONS[PaymentStatus.PROCESSING]

    assert targets == {
        PaymentStatus.APPROVED,
        PaymentStatus.DECLINED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
    }


def test_an_approved_payment_can_only_be_refunded() -> None:
    targets = TRANSITIONS[PaymentStatus.APPROVED]

    assert targets == {PaymentStatus.REFUNDED}


@pytest.mark.parametrize(
    "terminal",
    [PaymentStatus.DECLINED, PaymentStatus.FAILED, PaymentStatus.REFUNDED, PaymentStatus.CANCELLED],
)
def test_settled_payments_never_move_again(terminal: PaymentStatus) -> None:
    settled = payment(terminal)

    reachable = [target for target in PaymentStatus if settled.can_move(target)]

    assert reachable == []


def test_every_status_has_a_row_in_the_transitions_table() -> None:
    statuses = set(TRANSITIONS)

    assert statuses == set(PaymentStatus)


def test_only_an_approved_payment_can_be_refunded() -> None:
    sources = {status for status, targets in TRANSITIONS.items() if PaymentStatus.REFUNDED in targets}

    assert sources == {PaymentStatus.APPROVED}


def test_cancelled_and_failed_payments_keep_no_money() -> None:
    kept = WITHOUT_MONEY

    assert kept == {PaymentStatus.CANCELLED, PaymentStatus.FAILED}


def test_every_status_but_processing_is_announced_by_its_own_event() -> None:
    announced = dict(RESULT_EVENTS)

    assert announced == {
        PaymentStatus.APPROVED: PaymentApproved,
        PaymentStatus.DECLINED: PaymentDeclined,
        PaymentStatus.FAILED: PaymentFailed,
        PaymentStatus.CANCELLED: PaymentCancelled,
        PaymentStatus.REFUNDED: PaymentRefunded,
    }


def test_the_result_of_a_payment_carries_its_ids_amount_and_reason() -> None:
    declined = payment(PaymentStatus.DECLINED, "card_declined")

    event = declined.result()

    assert event == PaymentDeclined(declined.order_id, declined.id, Decimal("12.30"), "card_declined")


def test_a_moved_payment_keeps_its_identity_and_takes_the_new_reason() -> None:
    processing = payment(PaymentStatus.PROCESSING)

    moved = processing.moved(PaymentStatus.FAILED, "provider_timeout")

    assert (moved.id, moved.order_id, moved.amount) == (processing.id, processing.order_id, processing.amount)
    assert (moved.status, moved.reason) == (PaymentStatus.FAILED, "provider_timeout")


def test_the_payments_module_consumes_order_events() -> None:
    handled = {event.TYPE for event in HANDLED}

    assert handled == {"order.created", "order.cancelled"}
