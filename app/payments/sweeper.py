"""The sweeper: fails payments the provider never answered, safely from several processes at once."""

from app.payments.domain import PROVIDER_TIMEOUT, SWEEPER, PaymentStatus
from app.payments.handlers import UowFactory
from app.payments.ledger import Cause
from app.payments.provider import PaymentProvider


def fail_stuck_payments(
    uow_factory: UowFactory, provider: PaymentProvider, older_than_s: int, limit: int = 100
) -> int:
    """Fail up to `limit` payments PROCESSING for over `older_than_s` seconds, each first released at the
    provider under its order's lock: a late approval waits for the lock, finds it FAILED, is given back."""
    with uow_factory() as uow:
        candidates = uow.stuck(older_than_s, limit)
        if not candidates:
            return 0
        ledger = uow.read(candidates, [])
        # Still PROCESSING now that they are locked: unchanged, hence still stuck.
        books = ledger.books.values()
        payments = [b.payment for b in books if b.payment and b.payment.status is PaymentStatus.PROCESSING]
        if payments:
            provider.refund(payments)
        for payment in payments:
            cause = Cause(SWEEPER, None, payment.correlation_id)
            ledger.move(payment, PaymentStatus.FAILED, PROVIDER_TIMEOUT, cause)
        uow.save(ledger)
        uow.commit()
    return len(payments)
