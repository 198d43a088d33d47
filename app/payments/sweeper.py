"""The sweeper: fails payments the provider never answered, safely from several processes at once."""

from __future__ import annotations

from collections.abc import Callable

from app.payments.domain import GATEWAY_TIMEOUT, SWEEPER, PaymentStatus
from app.payments.gateway import PaymentGateway
from app.payments.lifecycle import move_and_announce
from app.payments.unit_of_work import PaymentsUnitOfWork


def fail_stuck_payments(
    uow_factory: Callable[[], PaymentsUnitOfWork],
    gateway: PaymentGateway,
    older_than_s: int,
    limit: int = 100,
) -> int:
    """Fail up to `limit` payments PROCESSING for more than `older_than_s` seconds; how many were failed.

    Each is first released at the provider (refund is idempotent and a no-op when nothing was taken) while
    its row is locked, so an answer that never reached us cannot leave money taken on a FAILED payment.
    """
    with uow_factory() as uow:
        stuck = uow.stuck_payments(older_than_s, limit)
        for payment in stuck:
            gateway.refund(payment.id, payment.amount)
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
