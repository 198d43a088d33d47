"""The HTTP edge: Flask + flask-smorest app answering reads from the modules and accepting commands."""

from app.gateway.auth import hash_key, warn_when_open
from app.gateway.factory import create_app
from app.gateway.openapi import openapi_document, render_openapi
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
from app.gateway.reconciliation import accepted_orders
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
    "accepted_orders",
    "create_app",
    "hash_key",
    "openapi_document",
    "purge_idempotency_keys",
    "render_openapi",
    "warn_when_open",
]
