"""Migrations build every module's schema from nothing, running them again changes nothing, and the
upgrades of databases made by earlier revisions keep their data (or refuse, when they would lose it)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect, select, text

from app.bus import mark_for_republish, outbox_backlog
from app.gateway import OUTBOX, SqlCommandStore
from app.gateway.commands import CANCEL_ORDER, CREATE_ORDER
from app.gateway.tables import metadata as gateway_metadata
from app.orders.tables import metadata as orders_metadata
from app.payments.tables import metadata as payments_metadata
from app.persistence import build_engine
from app.persistence.migrations import (
    MODULE_SCHEMAS,
    alembic_config,
    ensure_database,
    pending_migrations,
    upgrade_all,
)
from tests.integration.gateway.commands import cancellation, creation
from tests.support.services import fresh_database

pytestmark = pytest.mark.integration

TABLES = {
    "gateway": {"commands", "alembic_version"},
    "orders": {"orders", "order_history", "order_counts", "processed_events", "alembic_version"},
    "payments": {
        "payments",
        "payment_history",
        "payment_totals",
        "cancelled_orders",
        "releases_owed",
        "outbox",
        "processed_events",
        "alembic_version",
    },
}
PACKAGES = dict(MODULE_SCHEMAS)


@pytest.fixture
def empty_database() -> Iterator[tuple[str, Engine]]:
    """A database with nothing in it yet (not a copy of the migrated template)."""
    with fresh_database("payflow_it_empty") as url:
        engine = build_engine(url, application_name="payflow-tests")
        yield url, engine
        engine.dispose()


def at_revision(engine: Engine, schema: str, revision: str) -> None:
    """The schema migrated up to `revision` only, as a database deployed back then."""
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    command.upgrade(alembic_config(engine, schema, PACKAGES[schema]), revision)


def revision_of(engine: Engine, schema: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version")).scalar_one())


def shape(engine: Engine) -> dict[str, Any]:
    """Every module schema's tables (columns by name with type, nullability and default; indexes; check
    and primary key constraints), triggers and functions, comparable between two moments."""
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for schema, _ in MODULE_SCHEMAS:
        for table in inspector.get_table_names(schema=schema):
            columns = sorted(
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in inspector.get_columns(table, schema)
            )
            indexes = sorted(str(index["name"]) for index in inspector.get_indexes(table, schema))
            checks = sorted(
                (str(c["name"]), c["sqltext"]) for c in inspector.get_check_constraints(table, schema)
            )
            key = inspector.get_pk_constraint(table, schema)
            found[f"{schema}.{table}"] = (columns, indexes, checks, key["name"], key["constrained_columns"])
    with engine.connect() as conn:
        triggers = text("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal")
        found["triggers"] = sorted(conn.execute(triggers).scalars())
        functions = text(
            "SELECT proname, md5(pg_get_functiondef(oid)) FROM pg_proc WHERE prokind IN ('f', 'p')"
            " AND pronamespace::regnamespace::text = ANY(:schemas)"
        )
        schemas = [schema for schema, _ in MODULE_SCHEMAS]
        found["functions"] = sorted(tuple(row) for row in conn.execute(functions, {"schemas": schemas}))
    return found


def without_version_tables(found: dict[str, Any]) -> dict[str, Any]:
    return {name: part for name, part in found.items() if not name.endswith(".alembic_version")}


def test_an_empty_database_is_migrated_to_the_newest_revision_of_every_schema(
    empty_database: tuple[str, Engine],
) -> None:
    url, engine = empty_database

    upgrade_all(engine)

    inspector = inspect(engine)
    assert {schema: set(inspector.get_table_names(schema=schema)) for schema in TABLES} == TABLES
    assert pending_migrations(engine) == []
    assert ensure_database(url) is False


# Downgrades that refuse on purpose, each because it would have to invent data its upgrade threw away
# (the README's "Data: one schema per module" section names them).
IRREVERSIBLE = {"gateway_0002", "orders_0003", "payments_0004"}


def test_each_downgrade_restores_the_schema_of_the_revision_before_or_refuses_on_purpose(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    refused = set()

    for schema, package in MODULE_SCHEMAS:
        config = alembic_config(engine, schema, package)
        script = ScriptDirectory.from_config(config)
        assert len(script.get_heads()) == 1, f"{schema}: a branched history makes '-1' ambiguous"
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        for revision in reversed(list(script.walk_revisions())):  # oldest first
            before = without_version_tables(shape(engine))
            command.upgrade(config, revision.revision)
            upgraded = shape(engine)
            try:
                command.downgrade(config, "-1")
            except NotImplementedError:
                refused.add(revision.revision)
                assert (revision_of(engine, schema), shape(engine)) == (revision.revision, upgraded)
                continue
            assert without_version_tables(shape(engine)) == before, f"downgrade of {revision.revision}"
            command.upgrade(config, revision.revision)

    assert refused == IRREVERSIBLE, "a downgrade that refuses belongs in IRREVERSIBLE and the README"
    assert pending_migrations(engine) == []


def test_migrating_an_up_to_date_database_again_changes_nothing(engine: Engine) -> None:
    before = shape(engine)

    upgrade_all(engine)

    assert shape(engine) == before
    assert pending_migrations(engine) == []


@pytest.mark.parametrize("metadata", [gateway_metadata, orders_metadata, payments_metadata])
def test_the_migrated_tables_have_the_columns_and_indexes_the_modules_declare(
    engine: Engine, metadata: MetaData
) -> None:
    inspector = inspect(engine)

    for table in metadata.tables.values():
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name, table.schema)}
        indexes = {index["name"] for index in inspector.get_indexes(table.name, table.schema)}

        assert columns == {column.name: column.nullable for column in table.columns}, table.fullname
        assert {index.name for index in table.indexes} <= indexes, table.fullname


def test_no_foreign_key_crosses_a_module_schema(engine: Engine) -> None:
    query = text(
        "SELECT tc.table_schema, ccu.table_schema FROM information_schema.table_constraints tc "
        "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
        "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema <> ccu.table_schema"
    )

    with engine.connect() as conn:
        crossing = conn.execute(query).all()

    assert crossing == []


_OLD_COMMAND = text(
    "INSERT INTO gateway.commands (id, kind, order_id, request_hash, response_status, response_body)"
    " VALUES (gen_random_uuid(), 'create_order', :order_id, repeat('0', 64), 202, '{}')"
)
_OLD_EVENT = text(
    "INSERT INTO gateway.outbox (event_id, event_type, correlation_id, body, published_at)"
    " VALUES (:event_id, 'order.created', 'old', :body, CASE WHEN :published THEN now() END)"
)


def accepted_before_gateway_0002(engine: Engine, *, published: bool) -> uuid.UUID:
    """A gateway at gateway_0001 holding one accepted order: its command row and its outbox event."""
    at_revision(engine, "gateway", "gateway_0001")
    order_id = uuid.uuid4()
    event = {"id": str(uuid.uuid4()), "type": "order.created", "payload": {"orderId": str(order_id)}}
    with engine.begin() as conn:
        conn.execute(_OLD_COMMAND, {"order_id": order_id})
        conn.execute(_OLD_EVENT, {"event_id": event["id"], "body": json.dumps(event), "published": published})
    return order_id


def test_gateway_0002_refuses_while_the_old_outbox_holds_unpublished_events(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    accepted_before_gateway_0002(engine, published=False)

    with pytest.raises(RuntimeError, match=r"1 event\(s\) in gateway.outbox are not published yet"):
        upgrade_all(engine)

    assert revision_of(engine, "gateway") == "gateway_0001"
    assert "outbox" in inspect(engine).get_table_names(schema="gateway")


def test_gateway_0002_runs_once_the_old_events_are_published_and_marks_their_commands_published(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    order_id = accepted_before_gateway_0002(engine, published=False)
    with engine.begin() as conn:
        conn.execute(text("UPDATE gateway.outbox SET published_at = now()"))  # the old relay caught up

    upgrade_all(engine)

    assert pending_migrations(engine) == []
    assert set(inspect(engine).get_table_names(schema="gateway")) == TABLES["gateway"]
    with engine.connect() as conn:
        old = conn.execute(select(OUTBOX).where(OUTBOX.c.order_id == order_id)).one()
    assert (old.published_at, old.body) == (old.created_at, None)
    assert outbox_backlog(engine, OUTBOX).unpublished == 0
    assert mark_for_republish(engine, OUTBOX, event_ids=None, since=old.created_at) == 0


def test_commands_accepted_after_gateway_0002_wait_for_the_relay_behind_the_old_ones(
    empty_database: tuple[str, Engine],
) -> None:
    url, engine = empty_database
    accepted_before_gateway_0002(engine, published=True)
    upgrade_all(engine)
    store_engine = build_engine(url, application_name="payflow-tests", autocommit=True)

    new = SqlCommandStore(store_engine).record(*creation(key="k-new"))

    store_engine.dispose()
    with engine.connect() as conn:
        seqs = dict(conn.execute(select(OUTBOX.c.id, OUTBOX.c.seq)).all())
    assert outbox_backlog(engine, OUTBOX).unpublished == 1
    assert seqs[new.id] == max(seqs.values())


def test_gateway_0005_keeps_commands_that_shared_a_key_across_kinds_each_replayed_and_closes_the_key(
    empty_database: tuple[str, Engine],
) -> None:
    url, engine = empty_database
    at_revision(engine, "gateway", "gateway_0004")  # one key per (kind, API key): a create and a cancel
    shared = [creation(key="k-shared"), cancellation(uuid.uuid4(), key="k-shared")]
    with engine.begin() as conn:
        for earlier, event in shared:
            outbox = {"event_id": event.id, "event_type": event.type, "body": event.to_json()}
            conn.execute(OUTBOX.insert().values(**vars(earlier), **outbox, correlation_id="old"))

    upgrade_all(engine)

    store_engine = build_engine(url, application_name="payflow-tests", autocommit=True)
    store = SqlCommandStore(store_engine)
    (created, _), (cancelled, _) = shared
    retried = [store.record(*creation(key="k-shared")), store.record(*cancellation(uuid.uuid4(), "k-shared"))]
    another = store.record(*creation(key="k-shared", total="1.00"))
    store_engine.dispose()
    assert retried == [created, cancelled]
    assert another == created  # whose request differs: the gateway answers 422
    with engine.connect() as conn:
        kept = conn.execute(select(OUTBOX.c.kind, OUTBOX.c.key_shared_across_kinds).order_by(OUTBOX.c.seq))
        assert kept.all() == [(CREATE_ORDER, False), (CANCEL_ORDER, True)]


def test_the_counts_migrations_count_every_order_stored_before_them(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    insert = text(
        "INSERT INTO orders.orders (id, user_id, total, status)"
        " SELECT gen_random_uuid(), gen_random_uuid(), 12.30, :status FROM generate_series(1, :n)"
    )
    at_revision(engine, "orders", "orders_0001")  # no counts yet
    with engine.begin() as conn:
        conn.execute(insert, [{"status": "PENDING", "n": 3}, {"status": "PAID", "n": 5}])
    at_revision(engine, "orders", "orders_0002")  # counts in shards, one per writing transaction
    for status, n in (("PAID", 2), ("CANCELLED", 1), ("PENDING", 1)):
        with engine.begin() as conn:
            conn.execute(insert, {"status": status, "n": n})

    upgrade_all(engine)

    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT status, n FROM orders.order_counts")).all())
    assert counts == {"PENDING": 4, "PAID": 7, "CANCELLED": 1}


def test_the_totals_migrations_total_every_payment_stored_before_them(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    insert = text(
        "INSERT INTO payments.payments (id, order_id, amount, status, correlation_id)"
        " VALUES (gen_random_uuid(), gen_random_uuid(), :amount, :status, 'seed')"
    )
    at_revision(engine, "payments", "payments_0001")  # no totals yet
    with engine.begin() as conn:
        conn.execute(
            insert, [{"status": "APPROVED", "amount": "10.50"}, {"status": "DECLINED", "amount": "7"}]
        )
    at_revision(engine, "payments", "payments_0003")  # totals in shards, one per writing transaction
    for amount in ("4.25", "0.25"):
        with engine.begin() as conn:
            conn.execute(insert, {"status": "APPROVED", "amount": amount})

    upgrade_all(engine)

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, n, amount FROM payments.payment_totals")).all()
    assert {status: (n, amount) for status, n, amount in rows} == {
        "APPROVED": (3, Decimal("15.00")),
        "DECLINED": (1, Decimal("7.00")),
    }


def test_payments_0006_owes_the_releases_the_sweeper_before_it_had_not_noted(
    empty_database: tuple[str, Engine],
) -> None:
    _, engine = empty_database
    at_revision(engine, "payments", "payments_0005")
    failed = {name: uuid.uuid4() for name in ("unreleased", "released", "declined")}
    with engine.begin() as conn:
        for name, payment_id in failed.items():
            status, reason = (
                ("DECLINED", "card_declined") if name == "declined" else ("FAILED", "provider_timeout")
            )
            conn.execute(
                text(
                    "INSERT INTO payments.payments (id, order_id, amount, status, reason, correlation_id)"
                    " VALUES (:id, gen_random_uuid(), 10, :status, :reason, 'seed')"
                ),
                {"id": payment_id, "status": status, "reason": reason},
            )
        conn.execute(
            text(
                "INSERT INTO payments.payment_history"
                " (payment_id, from_status, to_status, event_type, reason)"
                " VALUES (:id, 'FAILED', 'FAILED', 'payments.sweeper', 'released_after_timeout')"
            ),
            {"id": failed["released"]},
        )

    upgrade_all(engine)

    with engine.connect() as conn:
        owed = set(conn.execute(text("SELECT payment_id FROM payments.releases_owed")).scalars())
    assert owed == {failed["unreleased"]}
