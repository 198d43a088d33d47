"""`payflow reconcile` on rows seeded in every module's tables: exit codes, the report and its JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.integration.cli.conftest import Payflow, Rows

pytestmark = pytest.mark.integration


def test_settled_consistent_orders_reconcile_with_exit_code_zero(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "APPROVED")
    rows.order("FAILED", "DECLINED")
    rows.order("CANCELLED", "REFUNDED")

    outcome = payflow("reconcile", "--stuck-after", "0")

    assert outcome.code == 0
    assert (
        "orders accepted 3, orders settled 3, payments 3, inconsistent 0, stuck 0, missing 0, unreleased 0"
        in outcome.out
    )
    assert outcome.out.rstrip().endswith("consistent")


def test_inconsistent_stuck_and_missing_orders_are_listed_with_exit_code_one(
    payflow: Payflow, rows: Rows
) -> None:
    wrong = rows.order("PAID", "DECLINED")
    stuck = rows.order("PENDING", "PROCESSING")
    lost = rows.order(None, None)

    outcome = payflow("reconcile", "--stuck-after", "0")

    assert outcome.code == 1
    assert "inconsistent 1, stuck 1, missing 1" in outcome.out
    for order_id in (wrong, stuck, lost):
        assert str(order_id) in outcome.out
    assert "NOT consistent: 3 order(s) above (`payflow history ORDER_ID` for one)" in outcome.out


def test_the_json_report_names_each_problem_and_its_order(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "APPROVED")
    refunded_but_paid = rows.order("PAID", "REFUNDED")

    outcome = payflow("reconcile", "--stuck-after", "0", "--json")

    report = outcome.json()
    assert outcome.code == 1
    assert report["consistent"] is False
    assert (report["orders_accepted"], report["inconsistent"], report["missing"]) == (2, 1, 0)
    [problem] = report["problems"]
    assert (problem["kind"], problem["order_id"]) == ("inconsistent", str(refunded_but_paid))
    assert "order PAID, payment REFUNDED" in problem["detail"]


def test_recent_unsettled_work_is_in_flight_not_stuck(payflow: Payflow, rows: Rows) -> None:
    rows.order("PENDING", "PROCESSING")

    outcome = payflow("reconcile", "--json")

    assert outcome.code == 0
    assert outcome.json()["in_flight"] == 1


def a_payment_awaiting_its_answer_for(rows: Rows, seconds: int) -> uuid.UUID:
    order_id = rows.order("PENDING", "PROCESSING")
    ago = {"id": order_id, "ago": timedelta(seconds=seconds)}
    with rows.engine.begin() as conn:
        conn.execute(text("UPDATE gateway.commands SET created_at = now() - :ago WHERE order_id = :id"), ago)
        conn.execute(text("UPDATE orders.orders SET updated_at = now() - :ago WHERE id = :id"), ago)
        conn.execute(text("UPDATE payments.payments SET updated_at = now() - :ago WHERE order_id = :id"), ago)
    return order_id


def test_a_payment_within_its_provider_deadline_is_in_flight_by_default(payflow: Payflow, rows: Rows) -> None:
    a_payment_awaiting_its_answer_for(rows, 90)  # the deadline is 120 s by default

    outcome = payflow("reconcile", "--json")

    assert outcome.code == 0, outcome.out
    assert (outcome.json()["in_flight"], outcome.json()["stuck_after_s"]) == (1, 130)


def test_a_payment_past_its_deadline_and_two_sweeps_is_stuck_by_default(
    payflow: Payflow, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYFLOW_PAYMENT_DEADLINE_S", "30")
    order_id = a_payment_awaiting_its_answer_for(rows, 90)

    outcome = payflow("reconcile", "--json")

    assert outcome.code == 1
    assert [(p["kind"], p["order_id"]) for p in outcome.json()["problems"]] == [("stuck", str(order_id))]


def test_only_orders_accepted_since_the_given_time_are_reconciled(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "DECLINED")
    since = datetime.now(UTC).isoformat()  # after the order was accepted

    outcome = payflow("reconcile", "--since", since, "--stuck-after", "0", "--json")

    assert outcome.code == 0
    assert outcome.json()["orders_accepted"] == 0


def test_a_since_time_in_the_future_is_refused_not_judged_as_nothing(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "DECLINED")

    outcome = payflow("reconcile", "--since", "2099-01-01T00:00:00Z")

    assert outcome.code == 1
    assert outcome.err.startswith("payflow reconcile: --since 2099-01-01T00:00:00+00:00 is later than")
    assert outcome.out == ""


def test_a_since_time_before_the_gateway_purged_its_commands_is_refused(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "DECLINED")

    outcome = payflow("reconcile", "--since", "2020-01-01T00:00:00Z")

    assert outcome.code == 1
    assert outcome.err.startswith("payflow reconcile: --since 2020-01-01T00:00:00+00:00 is before ")
    assert outcome.err.rstrip().endswith("older commands are purged")
    assert outcome.out == ""


def test_a_bad_since_time_is_refused_by_the_parser(payflow: Payflow) -> None:
    with pytest.raises(SystemExit) as exit_info:
        payflow("reconcile", "--since", "yesterday")

    assert exit_info.value.code == 2


def aged(rows: Rows, order_id: uuid.UUID, accepted: str, stored: str, paid: str) -> None:
    """Move the order's acceptance, its storage and its payment's creation (and last changes) that far into
    the past (PostgreSQL intervals), as when a module was down and caught up later."""
    ago = "now() - CAST(:{} AS interval)".format
    with rows.engine.begin() as conn:
        at = {"id": order_id, "accepted": accepted, "stored": stored, "paid": paid}
        conn.execute(
            text(f"UPDATE gateway.commands SET created_at = {ago('accepted')} WHERE order_id = :id"), at
        )
        orders = f"UPDATE orders.orders SET created_at = {ago('stored')}, updated_at = {ago('stored')}"
        conn.execute(text(f"{orders} WHERE id = :id"), at)
        payments = f"UPDATE payments.payments SET created_at = {ago('paid')}, updated_at = {ago('paid')}"
        conn.execute(text(f"{payments} WHERE order_id = :id"), at)


@pytest.mark.parametrize(
    ("stored", "paid"),
    [("1 hour", "10 minutes"), ("10 minutes", "1 hour")],
    ids=["payments-late", "orders-late"],
)
def test_an_order_accepted_before_since_is_not_judged_when_a_module_stored_it_after(
    payflow: Payflow, rows: Rows, stored: str, paid: str
) -> None:
    settled_late = rows.order("PAID", "APPROVED")
    aged(rows, settled_late, accepted="1 hour", stored=stored, paid=paid)
    since = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()

    outcome = payflow("reconcile", "--since", since, "--json")

    assert outcome.json()["problems"] == []
    assert outcome.code == 0


def test_a_release_the_sweeper_still_owes_makes_reconcile_exit_one(payflow: Payflow, rows: Rows) -> None:
    rows.order("PAID", "APPROVED")
    owed = rows.order("FAILED", "FAILED")
    with rows.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO payments.releases_owed (payment_id, order_id, owed_since)"
                " SELECT id, order_id, now() - interval '2 hours' FROM payments.payments WHERE order_id = :id"
            ),
            {"id": owed},
        )

    outcome = payflow("reconcile", "--stuck-after", "0", "--json")

    report = outcome.json()
    assert outcome.code == 1
    assert (report["unreleased"], report["inconsistent"], report["stuck"], report["missing"]) == (1, 0, 0, 0)
    [problem] = report["problems"]
    assert (problem["kind"], problem["order_id"]) == ("unreleased", str(owed))
    assert "FAILED" in problem["detail"]
