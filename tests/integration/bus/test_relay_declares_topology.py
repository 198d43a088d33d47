"""A relay that starts before any worker declares the queues first, so nothing it publishes is dropped."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, MetaData

from app.bus import OutboxRelay, connect, queue_depths
from app.contracts import OrderCreated
from app.persistence import append_events, outbox_table
from tests.support.services import fresh_vhost

pytestmark = pytest.mark.integration
DELAYS = (100,)


def test_a_relay_on_a_fresh_broker_declares_the_queues_before_it_publishes(migrated_engine: Engine) -> None:
    event = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("12.01")).to_envelope("declare-test")
    with migrated_engine.begin() as conn:
        append_events(conn, outbox_table(MetaData(schema="gateway")), [event])

    with fresh_vhost() as broker_url:
        OutboxRelay(migrated_engine, "gateway", broker_url, declare_with_delays=DELAYS).drain_once()
        with connect(broker_url) as connection:
            depths = queue_depths(connection, DELAYS)

    assert depths["orders.inbox"] >= 1
    assert depths["payments.inbox"] >= 1
