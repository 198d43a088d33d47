"""Payments module: one payment per order, the provider port, the sweeper and the read side."""

from app.payments.domain import PaymentsError, PaymentStatus
from app.payments.gateway import ChargeResult, PaymentGateway, SimulatedPaymentGateway
from app.payments.handlers import payment_handlers
from app.payments.queries import (
    PaymentPage,
    PaymentView,
    StatusTotal,
    get_payment,
    get_payment_for_order,
    list_payments,
    payment_stats,
)
from app.payments.reconciliation import payment_statuses
from app.payments.sql_unit_of_work import SqlPaymentsUnitOfWork
from app.payments.sweeper import fail_stuck_payments
from app.payments.tables import SCHEMA
from app.payments.unit_of_work import PaymentsUnitOfWork

__all__ = [
    "SCHEMA",
    "ChargeResult",
    "PaymentGateway",
    "PaymentPage",
    "PaymentStatus",
    "PaymentView",
    "PaymentsError",
    "PaymentsUnitOfWork",
    "SimulatedPaymentGateway",
    "SqlPaymentsUnitOfWork",
    "StatusTotal",
    "fail_stuck_payments",
    "get_payment",
    "get_payment_for_order",
    "list_payments",
    "payment_handlers",
    "payment_stats",
    "payment_statuses",
]
