"""The HTTP edge: Flask + flask-smorest app answering reads from the modules and accepting commands."""

from app.gateway.factory import create_app
from app.gateway.ports import (
    Command,
    CommandStore,
    GatewayDeps,
    OrderReads,
    OrderRow,
    Page,
    PaymentReads,
    PaymentRow,
    StatusTotalRow,
)
from app.gateway.sql_commands import SqlCommandStore, purge_idempotency_keys

__all__ = [
    "Command",
    "CommandStore",
    "GatewayDeps",
    "OrderReads",
    "OrderRow",
    "Page",
    "PaymentReads",
    "PaymentRow",
    "SqlCommandStore",
    "StatusTotalRow",
    "create_app",
    "purge_idempotency_keys",
]
