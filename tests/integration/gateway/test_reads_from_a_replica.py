"""The gateway's GET routes read from a streaming replica, report its lag, and fall back to the primary."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.events import created
from tests.integration.gateway.replicas import Replicated, Start
from tests.integration.orders.sql_orders import apply, status_of
from tests.support.own_replica import replay_paused
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
# One transaction writing WAL for 6 s and committing nothing (a bulk load, a long vacuum does the same).
LONG_TRANSACTION = """
    DO $$ DECLARE started timestamptz := clock_timestamp(); BEGIN
        WHILE clock_timestamp() < started + interval '6 s' LOOP
            INSERT INTO public.wal_filler SELECT n, repeat('x', 100) FROM generate_series(1, 200) AS n;
            PERFORM pg_sleep(0.005);
        END LOOP;
    END $$
"""


def new_order(replicated: Replicated) -> uuid.UUID:
    """An order stored on the primary, as the orders worker stores one."""
    order_id = uuid.uuid4()
    apply(replicated.engine, created(order_id))
    return order_id


def replica_entry(client: FlaskClient) -> dict[str, Any]:
    reply = client.get("/api/health/ready")
    assert reply.status_code == 200, reply.get_json()
    entry: dict[str, Any] = reply.get_json()["replica"]
    return entry


def reads_from(client: FlaskClient, server: str) -> bool:
    return replica_entry(client)["reads"] == server


def test_get_routes_answer_from_the_replica_while_commands_are_stored_on_the_primary(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway()

    with replay_paused(replicated.replica):
        order_id = new_order(replicated)
        while_paused = client.get(f"/api/orders/{order_id}").status_code
        posted = client.post("/api/orders", json={"userId": str(uuid.uuid4()), "total": 5}).status_code

    assert status_of(replicated.engine, order_id) == "PENDING"  # on the primary all along
    assert (while_paused, posted) == (404, 202)
    wait_until(lambda: client.get(f"/api/orders/{order_id}").status_code == 200, timeout=30, what="replay")


def test_a_cancel_is_checked_against_the_primary_not_a_replica_that_lags_behind(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway()

    with replay_paused(replicated.replica):
        order_id = new_order(replicated)
        seen_by_get = client.get(f"/api/orders/{order_id}").status_code
        cancel = client.patch(f"/api/orders/{order_id}/cancel")

    assert (seen_by_get, cancel.status_code) == (404, 202), cancel.get_json()


def test_readiness_reports_the_replicas_lag_in_bytes_and_seconds(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway()

    with replay_paused(replicated.replica):
        new_order(replicated)
        behind = wait_until(
            lambda: (entry := replica_entry(client))["lagBytes"] and entry, timeout=30, what="lag reported"
        )
    caught = wait_until(
        lambda: (entry := replica_entry(client))["lagBytes"] == 0 and entry, timeout=30, what="lag back to 0"
    )

    assert behind["reads"] == "replica"
    assert min(behind["lagBytes"], behind["lagSeconds"]) > 0
    assert (caught["reads"], caught["lagSeconds"]) == ("replica", 0)


def test_reads_fall_back_to_the_primary_while_the_replica_is_down_and_return_when_it_is_back(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway()
    order_id = new_order(replicated)
    wait_until(lambda: client.get(f"/api/orders/{order_id}").status_code == 200, timeout=30, what="replay")

    replicated.replica.stop()
    try:
        while_down = [client.get(f"/api/orders/{order_id}").status_code for _ in range(3)]
        down = replica_entry(client)
    finally:
        replicated.replica.start()
    wait_until(lambda: reads_from(client, "replica"), timeout=30, what="reads back on the replica")
    with replay_paused(replicated.replica):
        unreplayed = client.get(f"/api/orders/{new_order(replicated)}").status_code

    assert while_down == [200, 200, 200]
    assert (down["reads"], down["problem"].split(":")[0]) == ("primary", "unreachable")
    assert unreplayed == 404  # answered by the replica again


def test_a_replica_further_behind_than_the_maximum_lag_sends_reads_to_the_primary(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway(PAYFLOW_READ_MAX_LAG_S="1")

    with replay_paused(replicated.replica):
        order_id = new_order(replicated)
        lagging = wait_until(
            lambda: (entry := replica_entry(client))["reads"] == "primary" and entry,
            timeout=30,
            what="fallback",
        )
        while_lagging = client.get(f"/api/orders/{order_id}").status_code
    wait_until(lambda: reads_from(client, "replica"), timeout=30, what="reads back on the replica")

    assert lagging["problem"] == "lag over 1 s"
    assert lagging["lagSeconds"] > 1
    assert while_lagging == 200


def writing_wal_without_committing(replicated: Replicated) -> threading.Thread:
    """A thread running LONG_TRANSACTION on the primary's database, as the superuser."""
    url = make_url(replicated.url).set(username="postgres")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS public.wal_filler (n integer, pad text)"))

    def run() -> None:
        with engine.connect() as conn:
            conn.execute(text(LONG_TRANSACTION))
        engine.dispose()

    thread = threading.Thread(target=run, name="long-transaction")
    thread.start()
    return thread


def test_a_replica_keeping_up_with_a_long_transaction_is_not_reported_behind(
    replicated: Replicated, start_gateway: Start
) -> None:
    client = start_gateway(PAYFLOW_READ_MAX_LAG_S="3")
    seen: list[dict[str, Any]] = []

    writer = writing_wal_without_committing(replicated)
    while writer.is_alive():
        seen.append(replica_entry(client))
        writer.join(timeout=0.25)  # the next sample, unless the transaction ends first

    assert any(entry["lagBytes"] for entry in seen)  # WAL flowed: the checks found it a little behind
    assert [entry for entry in seen if entry["reads"] != "replica"] == []
    assert max(entry["lagSeconds"] for entry in seen) < 3
