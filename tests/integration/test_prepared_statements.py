"""Prepared: statements PREPAREd once per session, run with EXECUTE, recovering when the session forgets."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, Integer, Numeric, String, bindparam, cast, literal, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import DBAPIError

from app.persistence import Prepared, is_transient


def test_typed_parameters_constants_and_a_percent_operator_round_trip(migrated_engine: Engine) -> None:
    statement = select(
        bindparam("id", type_=UUID(as_uuid=True)).label("id"),
        (bindparam("amount", type_=Numeric(12, 2)) + 1).label("amount"),
        (bindparam("count", type_=Integer()) % 7).label("remainder"),
        bindparam("note", type_=String()).label("note"),
        literal("constant").label("constant"),
    )
    prepared = Prepared("payflow_test_round_trip", statement)
    order_id = uuid.uuid4()

    with migrated_engine.connect() as conn:
        row = prepared.run(
            conn, {"id": order_id, "amount": Decimal("1.50"), "count": 23, "note": "it's"}
        ).one()

    assert tuple(row) == (order_id, Decimal("2.50"), 2, "it's", "constant")


def test_a_dict_for_a_jsonb_parameter_is_sent_as_json(migrated_engine: Engine) -> None:
    statement = select(cast(bindparam("body", type_=JSONB()), JSONB)["status"].astext.label("status"))
    prepared = Prepared("payflow_test_jsonb", statement)

    with migrated_engine.connect() as conn:
        status = prepared.run(conn, {"body": {"status": "PAID"}}).scalar_one()

    assert status == "PAID"


def test_a_statement_is_prepared_once_per_session_and_survives_a_rollback(migrated_engine: Engine) -> None:
    prepared = Prepared("payflow_test_once", select(bindparam("n", type_=Integer()) * 2))

    with migrated_engine.connect() as conn:
        with conn.begin() as tx:
            assert prepared.run(conn, {"n": 2}).scalar_one() == 4
            tx.rollback()
        assert prepared.run(conn, {"n": 5}).scalar_one() == 10
        sessions_statements = conn.exec_driver_sql("SELECT name FROM pg_prepared_statements").scalars()
        assert list(sessions_statements).count("payflow_test_once") == 1


def test_a_session_that_lost_its_statement_fails_transiently_then_prepares_again(
    migrated_engine: Engine,
) -> None:
    prepared = Prepared("payflow_test_lost", select(bindparam("n", type_=Integer()) + 1))
    with migrated_engine.connect() as conn:
        assert prepared.run(conn, {"n": 1}).scalar_one() == 2
        conn.exec_driver_sql("DEALLOCATE payflow_test_lost")  # behind the pool record's back
        conn.commit()

        with pytest.raises(DBAPIError) as failure:
            prepared.run(conn, {"n": 1})

    assert is_transient(failure.value)  # the connection was invalidated: retried, never dead-lettered
    with migrated_engine.connect() as conn:
        assert prepared.run(conn, {"n": 41}).scalar_one() == 42


def test_an_unusable_name_is_refused_before_reaching_the_database() -> None:
    with pytest.raises(ValueError, match="prepared statement name"):
        Prepared("payflow; DROP TABLE orders", select(literal(1)))
