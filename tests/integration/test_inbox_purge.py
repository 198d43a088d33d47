"""A worker's inbox forgets the events it applied once no outbox may send them again."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, event, text

from app.bootstrap import build_worker
from app.config import Settings
from app.persistence import purge_claims
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
KEPT_H = 168


def claim(engine: Engine, schema: str, hours_ago: float) -> uuid.UUID:
    event_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {schema}.processed_events (event_id, event_type, processed_at) "
                "VALUES (:id, 'order.created', now() - make_interval(secs => :s))"
            ),
            {"id": event_id, "s": hours_ago * 3600},
        )
    return event_id


def claimed(engine: Engine, schema: str) -> set[uuid.UUID]:
    with engine.connect() as conn:
        return set(conn.execute(text(f"SELECT event_id FROM {schema}.processed_events")).scalars())


def test_claims_older_than_the_retention_are_purged_and_newer_ones_and_other_schemas_kept(
    engine: Engine,
) -> None:
    claim(engine, "orders", KEPT_H + 1)
    recent, other = claim(engine, "orders", KEPT_H - 1), claim(engine, "payments", KEPT_H + 1)

    purged = purge_claims(engine, "orders", KEPT_H)

    assert purged == 1
    assert claimed(engine, "orders") == {recent}
    assert claimed(engine, "payments") == {other}


def test_a_backlog_is_purged_whole_a_batch_per_transaction(engine: Engine) -> None:
    backlog = {claim(engine, "payments", KEPT_H + hours) for hours in range(1, 6)}
    recent = claim(engine, "payments", 1)

    commits: list[object] = []
    event.listen(engine, "commit", commits.append)

    purged = purge_claims(engine, "payments", KEPT_H, batch=2)

    assert purged == len(backlog)
    assert len(commits) == 3  # 2, 2 and 1 rows
    assert claimed(engine, "payments") == {recent}


@pytest.mark.parametrize("role", ["orders", "payments"])
def test_each_worker_purges_its_inbox_as_its_own_role_of_events_no_outbox_may_send_again(
    role: str, engine: Engine, database_url: str, role_prefix: str
) -> None:
    env = {"PAYFLOW_DATABASE_URL": database_url, "PAYFLOW_DATABASE_ROLE_PREFIX": role_prefix}
    settings = Settings.from_env(env, outbox_retention_h=2, idempotency_ttl_h=30)  # kept 30 h
    gone, kept = claim(engine, role, 31), claim(engine, role, 29)
    [job] = [job for job in build_worker(settings, role).jobs if job.name == f"{role}-inbox-purge"]
    stop = threading.Event()
    runner = threading.Thread(target=job.run, args=(stop,))

    runner.start()
    try:
        wait_until(lambda: gone not in claimed(engine, role), timeout=10, what="the claim of 31 h ago purged")
    finally:
        stop.set()
        runner.join(timeout=10)

    assert claimed(engine, role) == {kept}
