"""Orders module: the order lifecycle, its event handlers and its read side (owns the `orders` schema)."""

from app.orders.domain import OrdersError, OrderStatus, is_cancellable
from app.orders.handlers import order_handlers
from app.orders.queries import OrderPage, OrderView, get_order, list_orders
from app.orders.reconciliation import order_statuses
from app.orders.tables import SCHEMA
from app.orders.unit_of_work import OrdersUnitOfWork, SqlOrdersUnitOfWork

__all__ = [
    "SCHEMA",
    "OrderPage",
    "OrderStatus",
    "OrderView",
    "OrdersError",
    "OrdersUnitOfWork",
    "SqlOrdersUnitOfWork",
    "get_order",
    "is_cancellable",
    "list_orders",
    "order_handlers",
    "order_statuses",
]
