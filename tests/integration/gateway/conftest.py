"""The gateway on the migrated test database, wired with the real orders and payments read sides."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text

from app import orders, payments
from app.gateway import GatewayDeps, OrderReads, PaymentReads, create_app
from app.gateway.sql_commands import commands, outbox

USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
Reply = tuple[int, dict[str, str], dict[str, str]]


def post_order(client: FlaskClient, total: object, key: str | None = None) -> Reply:
    """POST /api/orders for USER with correlation id "it-1" (and the key, if any): status, body, headers."""
    headers = {"X-Correlation-Id": "it-1", **({"Idempotency-Key": key} if key else {})}
    reply = client.post("/api/orders", json={"userId": USER, "total": total}, headers=headers)
    return reply.status_code, reply.get_json(), dict(reply.headers)


class GatewayRows:
    """Reads the gateway's own tables for the orders a test touched, and deletes them afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.touched: set[uuid.UUID] = set()

    def commands_for(self, order_id: uuid.UUID | str) -> int:
        self.touched.add(uuid.UUID(str(order_id)))
        query = (
            select(func.count()).select_from(commands).where(commands.c.order_id == uuid.UUID(str(order_id)))
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def events_for(self, order_id: uuid.UUID | str) -> list[tuple[str, str]]:
        """(event_type, correlation_id) of the outbox rows whose payload names this order."""
        self.touched.add(uuid.UUID(str(order_id)))
        query = select(outbox.c.event_type, outbox.c.correlation_id).where(
            text("(gateway.outbox.body::jsonb -> 'payload' ->> 'orderId') = :order_id")
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query, {"order_id": str(order_id)})]

    def commands_with_key(self, key: str) -> list[uuid.UUID]:
        with self.engine.connect() as conn:
            ids = list(
                conn.execute(select(commands.c.order_id).where(commands.c.idempotency_key == key)).scalars()
            )
        self.touched.update(ids)
        return ids

    def delete_touched(self) -> None:
        ids = [str(order_id) for order_id in self.touched]
        with self.engine.begin() as conn:
            conn.execute(commands.delete().where(commands.c.order_id.in_(self.touched)))
            conn.execute(
                text("DELETE FROM gateway.outbox WHERE (body::jsonb -> 'payload' ->> 'orderId') = ANY(:ids)"),
                {"ids": ids},
            )


@pytest.fixture
def rows(migrated_engine: Engine) -> Iterator[GatewayRows]:
    tracker = GatewayRows(migrated_engine)
    yield tracker
    tracker.delete_touched()


@pytest.fixture
def gateway_app(migrated_engine: Engine) -> Flask:
    return create_app(
        GatewayDeps(
            engine=migrated_engine,
            orders=OrderReads(
                get=orders.get_order, list=orders.list_orders, is_cancellable=orders.is_cancellable
            ),
            payments=PaymentReads(
                get=payments.get_payment,
                for_order=payments.get_payment_for_order,
                list=payments.list_payments,
                stats=payments.payment_stats,
            ),
            readiness=lambda: {"database": "ok", "broker": "ok", "migrations": "ok"},
        )
    )


@pytest.fixture
def client(gateway_app: Flask) -> FlaskClient:
    return gateway_app.test_client()
