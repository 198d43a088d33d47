"""The payment state machine: what may follow what."""

from __future__ import annotations

import pytest

from app.payments import PaymentStatus
from app.payments.domain import TRANSITIONS, can_move, sources_of


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
    reachable = [target for target in PaymentStatus if can_move(terminal, target)]

    assert reachable == []


def test_every_status_has_a_row_in_the_transitions_table() -> None:
    statuses = set(TRANSITIONS)

    assert statuses == set(PaymentStatus)


def test_only_an_approved_payment_can_be_refunded() -> None:
    sources = sources_of(PaymentStatus.REFUNDED)

    assert sources == {PaymentStatus.APPROVED}


def test_an_unknown_status_allows_nothing() -> None:
    allowed = can_move("LOST", PaymentStatus.APPROVED)

    assert allowed is False
