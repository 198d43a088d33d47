"""Accepted commands on PostgreSQL: command row and outbox event commit together, keys are honoured once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, MetaData, func, inspect, update

from app.gateway import purge_idempotency_keys
from app.gateway.sql_commands import commands
from app.persistence import outbox_table
from tests.integration.gateway.conftest import GatewayRows, post_order

pytestmark = pytest.mark.integration


def test_accepting_an_order_writes_one_command_and_one_outbox_event(
    client: FlaskClient, rows: GatewayRows
) -> None:
    status, body, _ = post_order(client, 999)

    assert status == 202
    assert rows.commands_for(body["orderId"]) == 1
    assert rows.events_for(body["orderId"]) == [("order.created", "it-1")]


def test_cancelling_an_order_never_created_is_404(client: FlaskClient, rows: GatewayRows) -> None:
    order_id = uuid.uuid4()

    reply = client.patch(f"/api/orders/{order_id}/cancel")

    assert reply.status_code == 404
    assert rows.commands_for(order_id) == 0


def test_cancelling_an_accepted_order_not_yet_stored_writes_order_cancelled(
    client: FlaskClient, rows: GatewayRows
) -> None:
    _, created, _ = post_order(client, 5)

    reply = client.patch(f"/api/orders/{created['orderId']}", json={"status": "CANCELLED"})

    assert reply.status_code == 202
    assert rows.commands_for(created["orderId"]) == 2
    assert [kind for kind, _ in rows.events_for(created["orderId"])] == ["order.created", "order.cancelled"]


def test_purging_deletes_only_commands_older_than_the_ttl(
    client: FlaskClient, migrated_engine: Engine, rows: GatewayRows
) -> None:
    _, old, _ = post_order(client, 1, f"k-{uuid.uuid4()}")
    _, fresh, _ = post_order(client, 2, f"k-{uuid.uuid4()}")
    with migrated_engine.begin() as conn:
        conn.execute(
            update(commands)
            .where(commands.c.order_id == uuid.UUID(old["orderId"]))
            .values(created_at=func.now() - timedelta(hours=25))
        )

    purged = purge_idempotency_keys(migrated_engine, older_than_h=24)

    assert purged >= 1
    assert rows.commands_for(old["orderId"]) == 0
    assert rows.commands_for(fresh["orderId"]) == 1


def test_the_migrated_outbox_matches_the_shared_outbox_table(migrated_engine: Engine) -> None:
    expected = outbox_table(MetaData(schema="gateway"))

    inspector = inspect(migrated_engine)
    columns = {c["name"]: c for c in inspector.get_columns("outbox", schema="gateway")}
    indexes = {i["name"] for i in inspector.get_indexes("outbox", schema="gateway")}

    assert set(columns) == set(expected.c.keys())
    assert all(columns[c.name]["nullable"] == c.nullable for c in expected.c)
    assert {i.name for i in expected.indexes} <= indexes
