"""The payment provider port and its simulated adapter with reproducible, forceable outcomes."""

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from app.payments.domain import PaymentStatus


@dataclass(frozen=True)
class ChargeResult:
    """What the provider answered: APPROVED, DECLINED or FAILED, with a reason for the last two."""

    status: PaymentStatus
    reason: str | None = None


class PaymentProvider(Protocol):
    """A payment provider; both calls are idempotent per payment id."""

    def charge(self, payment_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal) -> ChargeResult | None:
        """Charge the amount; None when the provider never answered."""

    def refund(self, payment_id: uuid.UUID, amount: Decimal) -> None:
        """Give an approved charge back."""


APPROVED = ChargeResult(PaymentStatus.APPROVED)
CARD_DECLINED = ChargeResult(PaymentStatus.DECLINED, "card_declined")
INSUFFICIENT_FUNDS = ChargeResult(PaymentStatus.DECLINED, "insufficient_funds")
PROVIDER_ERROR = ChargeResult(PaymentStatus.FAILED, "provider_error")
_FORCED: dict[int, ChargeResult | None] = {1: APPROVED, 2: CARD_DECLINED, 3: PROVIDER_ERROR, 4: None}


@dataclass(frozen=True)
class SimulatedProvider:
    """A stand-in provider: waits `latency_ms`, then answers the same way every time for the same order
    (outcomes forced by the amount's cents, else drawn from the order id: see README)."""

    latency_ms: int
    decline_rate: float
    failure_rate: float
    sleep: Callable[[float], None] = time.sleep

    def charge(self, payment_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal) -> ChargeResult | None:
        self.sleep(self.latency_ms / 1000)
        cents = int((amount % 1) * 100)
        if cents in _FORCED:
            return _FORCED[cents]
        u = int.from_bytes(hashlib.sha256(order_id.bytes).digest()[:8], "big") / 2**64
        if u < self.failure_rate:
            return PROVIDER_ERROR
        return INSUFFICIENT_FUNDS if u < self.failure_rate + self.decline_rate else APPROVED

    def refund(self, payment_id: uuid.UUID, amount: Decimal) -> None:
        return None
