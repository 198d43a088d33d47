"""The sweeper: fails payments the provider never answered, then gives back whatever they may hold."""

import logging

from app.payments.domain import PROVIDER_TIMEOUT, RELEASED_AFTER_TIMEOUT, SWEEPER, Payment, PaymentStatus
from app.payments.handlers import UowFactory
from app.payments.ledger import Cause
from app.payments.provider import PaymentProvider

log = logging.getLogger("app.payments")


def fail_stuck_payments(
    uow_factory: UowFactory, provider: PaymentProvider, older_than_s: int, limit: int = 100
) -> int:
    """Fail up to `limit` payments PROCESSING for over `older_than_s` seconds, then release them at the
    provider. FAILED is committed before the provider is asked, so an approval that comes later finds it
    FAILED under its order's lock and is given back; a release not yet noted (this pass's, or one an
    earlier pass never finished) is asked again until it is. Safe from several processes at once: two of
    them may both ask for a payment's release (the refund is idempotent); it is noted once."""
    stuck: list[Payment] = []
    with uow_factory() as uow:
        if candidates := uow.stuck(older_than_s, limit):
            ledger = uow.read(candidates, [])
            # Still PROCESSING now that they are locked: unchanged, hence still stuck.
            books = ledger.books.values()
            stuck = [b.payment for b in books if b.payment and b.payment.status is PaymentStatus.PROCESSING]
            for payment in stuck:
                ledger.move(payment, PaymentStatus.FAILED, PROVIDER_TIMEOUT, _swept(payment))
            uow.save(ledger)
            uow.commit()
    release_failed(uow_factory, provider, limit)
    return len(stuck)


def release_failed(uow_factory: UowFactory, provider: PaymentProvider, limit: int) -> None:
    """Give back up to `limit` payments the sweeper failed and did not release yet, outside any
    transaction, and note each release that went through; one the provider refuses does not hold back
    the others (it is logged, and asked again on the next pass)."""
    with uow_factory() as uow:
        owed_orders = uow.unreleased(limit)
        books = uow.read(owed_orders, []).books.values() if owed_orders else []
    released = _refund(provider, [book.payment for book in books if book.payment])
    if not released:
        return
    with uow_factory() as uow:
        ledger = uow.read([payment.order_id for payment in released], [])
        still_owed = set(uow.unreleased(limit))  # less any a concurrent sweeper noted meanwhile
        for payment in released:
            if payment.order_id in still_owed:
                ledger.note(payment, RELEASED_AFTER_TIMEOUT, _swept(payment))
        uow.save(ledger)
        uow.commit()


def _refund(provider: PaymentProvider, payments: list[Payment]) -> list[Payment]:
    """The payments given back: all of them in one call, or when that raises, each one that can be."""
    if not payments:
        return []
    try:
        provider.refund(payments)
    except Exception:  # noqa: BLE001 - find the payment at fault; the others must not wait for it
        return [payment for payment in payments if _refunded_alone(provider, payment)]
    return payments


def _refunded_alone(provider: PaymentProvider, payment: Payment) -> bool:
    try:
        provider.refund([payment])
    except Exception:
        log.exception("could not release payment %s at the provider; trying again next pass", payment.id)
        return False
    return True


def _swept(payment: Payment) -> Cause:
    return Cause(SWEEPER, None, payment.correlation_id)
