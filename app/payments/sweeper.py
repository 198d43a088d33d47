"""The sweeper: fails payments the provider never answered, then gives back whatever they may hold."""

import math

from app.payments.domain import PROVIDER_TIMEOUT, RELEASED_AFTER_TIMEOUT, SWEEPER, Payment, PaymentStatus
from app.payments.handlers import UowFactory
from app.payments.ledger import Cause
from app.payments.provider import PaymentProvider, give_back


def fail_stuck_payments(
    uow_factory: UowFactory,
    provider: PaymentProvider,
    older_than_s: int,
    limit: int = 100,
    *,
    consumed_s: float = math.inf,
) -> int:
    """Fail up to `limit` payments PROCESSING for over `older_than_s` seconds, then release what they may
    hold at the provider. FAILED is committed, with the release owed, before the provider is asked: an
    approval that comes later finds the payment FAILED under its order's lock and is given back, and a
    release that did not go through (refused, or the process died) is asked again on the next pass.

    None is failed until the inbox has been consumed for `older_than_s` too (`consumed_s`, by the caller's
    consumer): a payment whose worker died mid-charge is redelivered, and charged again, first."""
    stuck: list[Payment] = []
    with uow_factory() as uow:
        if consumed_s >= older_than_s and (candidates := uow.stuck(older_than_s, limit)):
            ledger = uow.read(candidates, [])
            # Still PROCESSING now that they are locked: unchanged, hence still stuck.
            books = ledger.books.values()
            stuck = [b.payment for b in books if b.payment and b.payment.status is PaymentStatus.PROCESSING]
            for payment in stuck:
                ledger.move(payment, PaymentStatus.FAILED, PROVIDER_TIMEOUT, _swept(payment))
            uow.save(ledger)
            uow.owe_releases(stuck)
            uow.commit()
    release_owed(uow_factory, provider, limit)
    return len(stuck)


def release_owed(uow_factory: UowFactory, provider: PaymentProvider, limit: int) -> None:
    """Ask the provider, outside any transaction, to give back up to `limit` owed releases (never tried
    first, then the longest since a try), and note each one that went through. One the provider refuses
    goes to the back and does not hold back the others; with the provider away, all wait for a pass."""
    with uow_factory() as uow:
        owed_orders = uow.releases_owed(limit)
        books = uow.read(owed_orders, []).books.values() if owed_orders else []
    owed = [book.payment for book in books if book.payment]
    if not owed:
        return
    released, _ = give_back(provider, owed)
    with uow_factory() as uow:
        ledger = uow.read([payment.order_id for payment in owed], [])
        refused = [payment.id for payment in owed if payment not in released]
        done = uow.releases_done([payment.id for payment in released], refused)
        for payment in released:
            if payment.id in done:  # not noted by a concurrent sweeper already
                ledger.note(payment, RELEASED_AFTER_TIMEOUT, _swept(payment))
        uow.save(ledger)
        uow.commit()


def _swept(payment: Payment) -> Cause:
    return Cause(SWEEPER, None, payment.correlation_id)
