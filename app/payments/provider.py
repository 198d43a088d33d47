"""The payment provider port and its simulated adapter with reproducible, forceable outcomes."""

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.payments.domain import Payment, PaymentStatus

MAX_REASON_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class ChargeResult:
    """What the provider answered: APPROVED, DECLINED or FAILED, with a reason for the last two. The reason
    is the provider's own text, so it is made printable (a control character becomes `\\xNN`) and cut to
    MAX_REASON_LENGTH characters: the column takes no NUL, and the events carrying it must pass the contract
    (a reason they refuse would be dead-lettered, its order never hearing of the answer)."""

    status: PaymentStatus
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.reason is not None:
            printable = _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", self.reason)
            object.__setattr__(self, "reason", printable[:MAX_REASON_LENGTH])


class ProviderUnavailable(ConnectionError):
    """What an adapter raises when the provider cannot be reached or does not answer in time. It is a
    ConnectionError, so the bus retries the batch for as long as it takes and never dead-letters it for
    that; any other exception from an adapter counts as a bug (a few retries, then the dead-letter queue)."""


class PaymentProvider(Protocol):
    """A payment provider, handed a batch's payments at once (distinct ids); both calls are idempotent per
    payment id, and one that raises has its whole batch tried again with the same ids. The adapter overlaps
    the requests (one batch request, or concurrent ones on one client with its own event loop): a thread
    blocked per payment costs a Python process more than the provider's wait (README)."""

    def charge(self, payments: Sequence[Payment]) -> Mapping[uuid.UUID, ChargeResult | None]:
        """Charge each payment's amount; the answers by payment id, None (or no entry) where the provider
        never answered."""

    def refund(self, payments: Sequence[Payment]) -> None:
        """Give back whatever each payment id holds now (a no-op where nothing was taken). It may be asked
        again for the same id, and must then give back a charge that landed after the earlier refund."""


log = logging.getLogger("app.payments")
AWAY_AFTER = 2  # timeouts in a row after which the provider is taken to be away for now


def give_back(
    provider: PaymentProvider, payments: Sequence[Payment]
) -> tuple[list[Payment], Exception | None]:
    """The payments given back, and why the rest were not: all in one call; when that fails, each on its own
    (in the order given), so one payment at fault (refused, or timing out) holds back no other. Two timeouts
    in a row mean the provider is away: the rest are not asked."""
    if len(payments) > 1:
        try:
            provider.refund(payments)
        except Exception:  # noqa: BLE001 - the others must not wait for the payment at fault
            log.warning("giving back %d payments together failed; asking for each alone", len(payments))
        else:
            return list(payments), None
    released, failure, away = [], None, 0
    for payment in payments:
        try:
            provider.refund([payment])
        except Exception as exc:  # noqa: BLE001 - logged, and returned for the caller to act on
            log.warning("could not give back payment %s at the provider: %r", payment.id, exc)
            failure = weightier(failure, exc)
            away = away + 1 if isinstance(exc, ProviderUnavailable) else 0
            if away == AWAY_AFTER:
                break
        else:
            released.append(payment)
            away = 0
    return released, failure


def weightier(kept: Exception | None, new: Exception | None) -> Exception | None:
    """Of two failures, the one to raise: a refusal (dead-lettered in the end) outweighs a timeout (retried
    while it lasts); otherwise the first stays."""
    refusal = new is not None and not isinstance(new, ProviderUnavailable)
    return new if kept is None or (refusal and isinstance(kept, ProviderUnavailable)) else kept


APPROVED = ChargeResult(PaymentStatus.APPROVED)
CARD_DECLINED = ChargeResult(PaymentStatus.DECLINED, "card_declined")
INSUFFICIENT_FUNDS = ChargeResult(PaymentStatus.DECLINED, "insufficient_funds")
PROVIDER_ERROR = ChargeResult(PaymentStatus.FAILED, "provider_error")
_FORCED: dict[int, ChargeResult | None] = {1: APPROVED, 2: CARD_DECLINED, 3: PROVIDER_ERROR, 4: None}


@dataclass(frozen=True)
class SimulatedProvider:
    """A stand-in provider: answers a batch's charges together `latency_ms` after they were asked, each
    the same way every time for the same order (forced by the amount's cents, else drawn from the order
    id: see README); refunds succeed at once."""

    latency_ms: int
    decline_rate: float
    failure_rate: float
    sleep: Callable[[float], None] = time.sleep

    def charge(self, payments: Sequence[Payment]) -> dict[uuid.UUID, ChargeResult | None]:
        if payments:
            self.sleep(self.latency_ms / 1000)
        return {payment.id: self._answer(payment) for payment in payments}

    def refund(self, payments: Sequence[Payment]) -> None:
        return None

    def _answer(self, payment: Payment) -> ChargeResult | None:
        cents = int((payment.amount % 1) * 100)
        if cents in _FORCED:
            return _FORCED[cents]
        u = int.from_bytes(hashlib.sha256(payment.order_id.bytes).digest()[:8], "big") / 2**64
        if u < self.failure_rate:
            return PROVIDER_ERROR
        return INSUFFICIENT_FUNDS if u < self.failure_rate + self.decline_rate else APPROVED
