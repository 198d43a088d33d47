"""Idempotency keys on PostgreSQL: retries replay, another body is refused, racing requests make one order."""

from __future__ import annotations

import threading
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from app.gateway.commands import request_hash
from app.gateway.sql_commands import commands
from tests.integration.gateway.conftest import USER, GatewayRows, Reply, post_order
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_a_replayed_key_returns_the_same_order_and_writes_nothing(
    client: FlaskClient, rows: GatewayRows
) -> None:
    key = f"k-{uuid.uuid4()}"
    first = post_order(client, 12.5, key)

    second = post_order(client, 12.50, key)

    assert second[0] == 202
    assert second[1] == first[1]
    assert list(second[1]) == list(first[1]), "a replay keeps the first answer's field order"
    assert second[2]["Idempotent-Replayed"] == "true"
    assert rows.commands_with_key(key) == [uuid.UUID(first[1]["orderId"])]
    assert len(rows.events_for(first[1]["orderId"])) == 1


def test_a_key_reused_with_another_body_is_422_and_writes_nothing(
    client: FlaskClient, rows: GatewayRows
) -> None:
    key = f"k-{uuid.uuid4()}"
    first = post_order(client, 10, key)

    second = post_order(client, 11, key)

    assert second[0] == 422
    assert len(rows.commands_with_key(key)) == 1
    assert len(rows.events_for(first[1]["orderId"])) == 1


def test_concurrent_posts_with_one_key_create_one_order(gateway_app: Flask, rows: GatewayRows) -> None:
    key, start = f"k-{uuid.uuid4()}", threading.Barrier(8)
    replies: list[Reply] = []

    def send() -> None:
        client = gateway_app.test_client()
        start.wait()
        replies.append(post_order(client, 77, key))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _, _ in replies} == {202}
    assert len({body["orderId"] for _, body, _ in replies}) == 1
    assert len(rows.commands_with_key(key)) == 1
    assert len(rows.events_for(replies[0][1]["orderId"])) == 1


def test_a_second_request_with_a_key_waits_for_the_first_to_commit_then_replays_it(
    gateway_app: Flask, migrated_engine: Engine, rows: GatewayRows
) -> None:
    key, order_id = f"k-{uuid.uuid4()}", uuid.uuid4()
    first_answer = {
        "orderId": str(order_id),
        "message": "Order creation request accepted",
        "status": "PENDING_PAYMENT",
    }
    replies: list[Reply] = []
    second = threading.Thread(target=lambda: replies.append(post_order(gateway_app.test_client(), 77, key)))
    with migrated_engine.connect() as first:
        first.execute(
            commands.insert().values(
                id=uuid.uuid4(),
                kind="create_order",
                order_id=order_id,
                idempotency_key=key,
                request_hash=request_hash("POST", "/api/orders", {"userId": USER, "total": "77.00"}),
                response_status=202,
                response_body=first_answer,
            )
        )
        second.start()
        wait_until(lambda: blocked_on_a_lock(migrated_engine), timeout=10, what="the second insert to wait")
        first.commit()
    second.join(timeout=10)

    assert replies[0][:2] == (202, first_answer)
    assert replies[0][2]["Idempotent-Replayed"] == "true"
    assert rows.commands_with_key(key) == [order_id]


def blocked_on_a_lock(engine: Engine) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar_one())
