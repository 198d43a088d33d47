"""The sweeper: fails payments the provider never answered, safely from several processes at once."""

from __future__ import annotations

from collections.abc import Callable

from app.payments.domain import GATEWAY_TIMEOUT, SWEEPER, PaymentStatus
from app.payments.lifecycle import move_and_announce
from app.payments.unit_of_work import PaymentsUnitOfWork


def fail_stuck_payments(
    uow_factory: Callable[[], PaymentsUnitOfWork], older_than_s: int, limit: int = 500
) -> int:
    """Fail up to `limit` payments PROCESSING for more than `older_than_s` seconds; how many were failed."""
    with uow_factory() as uow:
        stuck = uow.stuck_payments(older_than_s, limit)
        failed = sum(
            move_and_announce(
                uow,
                payment,
                PaymentStatus.FAILED,
                reason=GATEWAY_TIMEOUT,
                cause=SWEEPER,
                correlation_id=payment.correlation_id,
            )
            for payment in stuck
        )
        uow.commit()
    return failed
