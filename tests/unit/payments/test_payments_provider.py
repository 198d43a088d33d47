"""The simulated provider: forced outcomes by cents, reproducible draws, configured latency."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.payments import ChargeResult, PaymentStatus, SimulatedProvider
from app.payments.domain import Payment
from app.payments.provider import APPROVED, CARD_DECLINED


def simulated(decline_rate: float = 0.2, failure_rate: float = 0.05) -> SimulatedProvider:
    return SimulatedProvider(
        latency_ms=0, decline_rate=decline_rate, failure_rate=failure_rate, sleep=lambda s: None
    )


def payment(amount: str, order_id: uuid.UUID | None = None) -> Payment:
    order_id = order_id or uuid.uuid4()
    return Payment(uuid.uuid4(), order_id, Decimal(amount), PaymentStatus.PROCESSING, None, "corr")


def charge(
    provider: SimulatedProvider, amount: str, order_id: uuid.UUID | None = None
) -> ChargeResult | None:
    asked = payment(amount, order_id)
    return provider.charge([asked])[asked.id]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("10.01", ChargeResult(PaymentStatus.APPROVED)),
        ("10.02", ChargeResult(PaymentStatus.DECLINED, "card_declined")),
        ("999.03", ChargeResult(PaymentStatus.FAILED, "provider_error")),
        ("0.04", None),
    ],
)
def test_the_cents_of_the_amount_force_the_outcome(amount: str, expected: ChargeResult | None) -> None:
    provider = simulated(decline_rate=1.0, failure_rate=0.0)

    result = charge(provider, amount)

    assert result == expected


def test_the_same_order_always_gets_the_same_outcome() -> None:
    order_ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"order-{n}") for n in range(50)]

    first = [charge(simulated(), "20.00", order_id) for order_id in order_ids]
    second = [charge(simulated(), "20.00", order_id) for order_id in order_ids]

    assert first == second


def test_the_draw_depends_on_the_order_not_on_the_payment() -> None:
    provider, order_id = simulated(decline_rate=0.5, failure_rate=0.0), uuid.uuid4()

    outcomes = {charge(provider, "20.00", order_id) for _ in range(20)}

    assert len(outcomes) == 1


def test_outcomes_follow_the_configured_rates() -> None:
    provider = simulated(decline_rate=0.2, failure_rate=0.1)
    order_ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"order-{n}") for n in range(2000)]

    results = [charge(provider, "20.00", order_id) for order_id in order_ids]

    declined = sum(1 for r in results if r == ChargeResult(PaymentStatus.DECLINED, "insufficient_funds"))
    failed = sum(1 for r in results if r == ChargeResult(PaymentStatus.FAILED, "provider_error"))
    assert 300 <= declined <= 500
    assert 140 <= failed <= 260


@pytest.mark.parametrize(
    ("decline_rate", "failure_rate", "status"),
    [
        (0.0, 0.0, PaymentStatus.APPROVED),
        (1.0, 0.0, PaymentStatus.DECLINED),
        (0.0, 1.0, PaymentStatus.FAILED),
    ],
)
def test_extreme_rates_give_one_outcome_for_every_order(
    decline_rate: float, failure_rate: float, status: PaymentStatus
) -> None:
    provider = simulated(decline_rate, failure_rate)

    results = {charge(provider, "20.00") for _ in range(50)}

    assert {r.status for r in results if r is not None} == {status}


def test_a_batch_of_charges_is_answered_together_after_one_configured_latency() -> None:
    waits: list[float] = []
    provider = SimulatedProvider(latency_ms=1500, decline_rate=0.2, failure_rate=0.05, sleep=waits.append)

    asked = [payment("10.01"), payment("10.02"), payment("10.04")]

    answers = provider.charge(asked)

    assert answers == {asked[0].id: APPROVED, asked[1].id: CARD_DECLINED, asked[2].id: None}
    assert waits == [1.5]


def test_an_empty_batch_of_charges_does_not_wait() -> None:
    waits: list[float] = []
    provider = SimulatedProvider(latency_ms=1500, decline_rate=0.2, failure_rate=0.05, sleep=waits.append)

    assert provider.charge([]) == {}
    assert waits == []


def test_a_refund_always_succeeds_without_waiting() -> None:
    waits: list[float] = []
    provider = SimulatedProvider(latency_ms=1500, decline_rate=0.2, failure_rate=0.05, sleep=waits.append)

    result = provider.refund([payment("10.01"), payment("20.00")])

    assert result is None
    assert waits == []
