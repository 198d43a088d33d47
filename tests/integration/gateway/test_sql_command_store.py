"""SqlCommandStore on PostgreSQL: one row per command carrying its event, each idempotency key kept once."""

from __future__ import annotations

import functools
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, func, text, update

from app.bus import purge_published
from app.contracts import Envelope
from app.gateway import OUTBOX, SqlCommandStore
from app.gateway.commands import CREATE_ORDER
from tests.integration.gateway.commands import cancellation, creation, rows
from tests.integration.racing import run_together
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def store(autocommit_engine: Engine) -> SqlCommandStore:
    return SqlCommandStore(autocommit_engine)


def test_a_command_is_accepted_at_its_event_time_the_instant_the_order_is_listed_under(
    store: SqlCommandStore, engine: Engine
) -> None:
    command, event = creation()

    store.record(command, event)

    assert store.accepted_orders() == {command.order_id: event.occurred_at}


def test_the_relay_is_woken_once_a_new_command_is_committed_and_not_for_a_replay(
    autocommit_engine: Engine, engine: Engine
) -> None:
    committed_when_woken: list[int] = []
    store = SqlCommandStore(autocommit_engine, lambda: committed_when_woken.append(len(rows(engine))))
    command, event = creation(key="k-wake")

    store.record(command, event)
    store.record(*creation(key="k-wake"))  # the same key again: the first answer, no new row

    assert committed_when_woken == [1]


def test_a_command_is_one_row_carrying_its_event_waiting_for_the_relay(
    store: SqlCommandStore, engine: Engine
) -> None:
    command, event = creation(key="k-1")

    stored = store.record(command, event)

    assert stored == command
    [row] = rows(engine, order_id=command.order_id)
    assert (row.id, row.kind, row.idempotency_key, row.request_hash) == (
        command.id,
        CREATE_ORDER,
        "k-1",
        command.request_hash,
    )
    assert (row.response_status, row.response_body) == (202, command.response_body)
    assert (row.event_id, row.event_type, row.correlation_id) == (event.id, "order.created", "corr-gateway")
    assert Envelope.from_json(row.body) == event
    assert row.published_at is None


def test_a_key_used_before_returns_the_first_command_and_stores_nothing(
    store: SqlCommandStore, engine: Engine
) -> None:
    first = store.record(*creation(key="k-1"))
    second, second_event = creation(key="k-1", total="99.00")

    stored = store.record(second, second_event)

    assert stored == first
    assert [row.id for row in rows(engine)] == [first.id]


def test_a_key_whose_command_is_purged_between_the_insert_and_the_lookup_is_taken_by_the_new_command(
    store: SqlCommandStore, autocommit_engine: Engine, engine: Engine
) -> None:
    first = store.record(*creation(key="k-purged"))
    second, second_event = creation(key="k-purged")

    def purge_after_a_refused_insert(conn: Any, cursor: Any, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO gateway.commands") and cursor.rowcount == 0:
            with engine.begin() as other:  # the outbox purge, right between the two statements
                other.execute(delete(OUTBOX).where(OUTBOX.c.id == first.id))

    event.listen(autocommit_engine, "after_cursor_execute", purge_after_a_refused_insert)
    try:
        stored = store.record(second, second_event)
    finally:
        event.remove(autocommit_engine, "after_cursor_execute", purge_after_a_refused_insert)

    assert stored == second
    assert [row.id for row in rows(engine)] == [second.id]


def test_a_key_used_by_one_kind_returns_that_command_to_another_and_commands_without_a_key_never_collide(
    store: SqlCommandStore, engine: Engine
) -> None:
    created = store.record(*creation(key="k-1"))
    cancelled = store.record(*cancellation(created.order_id, key="k-1"))
    store.record(*creation())
    store.record(*creation())

    assert cancelled == created
    assert len(rows(engine)) == 3
    assert [row.kind for row in rows(engine, idempotency_key="k-1")] == [CREATE_ORDER]


def test_threads_racing_with_one_key_all_get_the_one_command_stored(
    store: SqlCommandStore, engine: Engine
) -> None:
    attempts = [creation(key="k-race") for _ in range(8)]

    stored = run_together(*(functools.partial(store.record, *attempt) for attempt in attempts))

    [row] = rows(engine)
    assert {command.id for command in stored} == {row.id}
    assert row.id in {command.id for command, _ in attempts}


def test_a_second_command_with_a_key_waits_for_the_first_to_commit_then_gets_it(
    store: SqlCommandStore, engine: Engine
) -> None:
    first, first_event = creation(key="k-wait")
    got: list[object] = []
    second = threading.Thread(target=lambda: got.append(store.record(*creation(key="k-wait"))))
    with engine.connect() as holding:
        event = {"event_id": first_event.id, "event_type": first_event.type, "body": first_event.to_json()}
        holding.execute(OUTBOX.insert().values(**vars(first), **event, correlation_id="corr-gateway"))
        second.start()
        wait_until(lambda: _waiting_on_a_lock(engine), timeout=10, what="the second insert to wait")
        holding.commit()
    second.join(timeout=10)

    assert got == [first]
    assert len(rows(engine)) == 1


def test_find_returns_the_one_command_under_a_key_even_for_another_request(store: SqlCommandStore) -> None:
    stored = store.record(*creation(key="k-1"))
    other_request = cancellation(stored.order_id, key="k-1")[0].request_hash

    found = (store.find("k-1", "", None), store.find("k-1", "", other_request), store.find("k-2", "", None))

    assert found == (stored, stored, None)


def test_an_order_counts_as_accepted_once_its_creation_is_stored(store: SqlCommandStore) -> None:
    created = store.record(*creation())
    never_created = uuid.uuid4()
    store.record(*cancellation(never_created))

    accepted = (store.order_was_accepted(created.order_id), store.order_was_accepted(never_created))

    assert accepted == (True, False)


def test_accepted_orders_map_each_created_order_to_its_acceptance_time(
    store: SqlCommandStore, engine: Engine
) -> None:
    old, recent = store.record(*creation()), store.record(*creation())
    store.record(*cancellation(recent.order_id))
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX).where(OUTBOX.c.id == old.id).values(created_at=func.now() - timedelta(hours=2))
        )
    times = {row.order_id: row.created_at for row in rows(engine, kind=CREATE_ORDER)}

    everything = store.accepted_orders()

    assert everything == times


def test_published_commands_past_the_retention_are_purged_and_unpublished_ones_kept(
    store: SqlCommandStore, engine: Engine
) -> None:
    expired, fresh, unsent = (store.record(*creation()) for _ in range(3))
    long_ago = func.now() - timedelta(hours=25)
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).values(created_at=long_ago))
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == expired.id).values(published_at=long_ago))
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == fresh.id).values(published_at=func.now()))

    purged = purge_published(engine, OUTBOX, 24)

    assert purged == 1
    assert {row.id for row in rows(engine)} == {fresh.id, unsent.id}


def _waiting_on_a_lock(engine: Engine) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar_one())
