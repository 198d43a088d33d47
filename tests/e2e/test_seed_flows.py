"""The seed README's requests and flows, through gunicorn and both workers on real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.system import RunningSystem
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
SEED_USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
TERMINAL = {"PAID", "FAILED", "CANCELLED"}


def place_order(api: Api, total: float | int) -> str:
    reply = api.post("/orders", {"userId": SEED_USER, "total": total})
    assert reply.status == 202, reply.body
    return str(reply.body["orderId"])


def settled(api: Api, order_id: str, order_status: str, payment_status: str) -> dict[str, Any]:
    """Wait until the order and its payment reach the given states; return both."""

    def probe() -> dict[str, Any] | None:
        order = api.get(f"/orders/{order_id}")
        payment = api.get(f"/payments/order/{order_id}")
        found = order.status == 200 and payment.status == 200
        if found and (order.body["status"], payment.body["status"]) == (order_status, payment_status):
            return {"order": order.body, "payment": payment.body}
        return None

    return wait_until(probe, timeout=30, what=f"order {order_id} {order_status} / payment {payment_status}")


def test_creating_an_order_answers_202_with_the_seed_shape_and_a_location(system: RunningSystem) -> None:
    reply = system.api.post("/orders", {"userId": SEED_USER, "total": 999})

    assert reply.status == 202
    assert set(reply.body) == {"orderId", "message", "status"}
    assert reply.body["message"] == "Order creation request accepted"
    assert reply.body["status"] == "PENDING_PAYMENT"
    assert reply.header("Location") == f"/api/orders/{reply.body['orderId']}"


def test_an_approved_payment_marks_the_order_paid(system: RunningSystem) -> None:
    order_id = place_order(system.api, 25.01)

    pair = settled(system.api, order_id, "PAID", "APPROVED")

    assert pair["order"]["total"] == 25.01
    assert pair["payment"]["amount"] == 25.01
    assert pair["payment"]["reason"] is None
    assert pair["order"]["userId"] == SEED_USER


def test_a_declined_payment_fails_the_order_and_says_why(system: RunningSystem) -> None:
    order_id = place_order(system.api, 40.02)

    pair = settled(system.api, order_id, "FAILED", "DECLINED")

    assert pair["payment"]["reason"] == "card_declined"


def test_a_gateway_failure_fails_the_order_and_the_payment(system: RunningSystem) -> None:
    order_id = place_order(system.api, 40.03)

    pair = settled(system.api, order_id, "FAILED", "FAILED")

    assert pair["payment"]["reason"] == "provider_error"


def test_cancelling_a_paid_order_refunds_the_payment(system: RunningSystem) -> None:
    order_id = place_order(system.api, 999.01)
    settled(system.api, order_id, "PAID", "APPROVED")

    reply = system.api.patch(f"/orders/{order_id}", {"status": "CANCELLED"})

    assert reply.status == 202
    assert reply.body == {"orderId": order_id, "message": "Order cancellation request accepted"}
    settled(system.api, order_id, "CANCELLED", "REFUNDED")


def test_cancelling_while_the_gateway_has_not_answered_cancels_the_payment(system: RunningSystem) -> None:
    order_id = place_order(system.api, 50.04)
    wait_until(
        lambda: system.api.get(f"/payments/order/{order_id}").status == 200, timeout=30, what="payment"
    )

    reply = system.api.patch(f"/orders/{order_id}/cancel")

    assert reply.status == 202
    settled(system.api, order_id, "CANCELLED", "CANCELLED")


def test_a_payment_the_gateway_never_answers_times_out_and_fails_the_order(system: RunningSystem) -> None:
    order_id = place_order(system.api, 60.04)

    pair = settled(system.api, order_id, "FAILED", "FAILED")

    assert pair["payment"]["reason"] == "provider_timeout"


def test_cancelling_a_failed_order_is_a_conflict(system: RunningSystem) -> None:
    order_id = place_order(system.api, 70.02)
    settled(system.api, order_id, "FAILED", "DECLINED")

    reply = system.api.patch(f"/orders/{order_id}/cancel")

    assert reply.status == 409
    assert "message" in reply.body


def test_lists_follow_the_seed_paging_shape_newest_first(system: RunningSystem) -> None:
    first, second = place_order(system.api, 10.01), place_order(system.api, 11.01)
    settled(system.api, second, "PAID", "APPROVED")
    settled(system.api, first, "PAID", "APPROVED")

    orders = system.api.get("/orders?page=1&limit=2")
    payments = system.api.get("/payments?page=1&limit=10")

    assert orders.status == 200
    assert [o["id"] for o in orders.body["data"]] == [second, first]
    assert orders.body["meta"]["page"] == 1
    assert orders.body["meta"]["limit"] == 2
    assert orders.body["meta"]["totalPages"] == -(-orders.body["meta"]["total"] // 2)
    assert payments.status == 200
    assert payments.body["meta"]["total"] >= 2
    assert {"id", "orderId", "amount", "status", "createdAt", "updatedAt"} <= set(payments.body["data"][0])


def test_a_payment_is_readable_by_its_id_and_by_its_order(system: RunningSystem) -> None:
    order_id = place_order(system.api, 12.01)
    by_order = settled(system.api, order_id, "PAID", "APPROVED")["payment"]

    by_id = system.api.get(f"/payments/{by_order['id']}")

    assert by_id.status == 200
    assert by_id.body == by_order
    assert by_id.body["createdAt"].endswith("Z")


def test_stats_count_and_sum_payments_by_status(system: RunningSystem) -> None:
    before = {row["status"]: row for row in system.api.get("/payments/stats").body["byStatus"]}
    settled(system.api, place_order(system.api, 1000.01), "PAID", "APPROVED")

    after = {row["status"]: row for row in system.api.get("/payments/stats").body["byStatus"]}

    approved_before = before.get("APPROVED", {"count": 0, "totalAmount": 0})
    assert after["APPROVED"]["count"] == approved_before["count"] + 1
    assert round(after["APPROVED"]["totalAmount"] - approved_before["totalAmount"], 2) == 1000.01


def test_unknown_ids_are_404_with_a_json_message(system: RunningSystem) -> None:
    unknown = str(uuid.uuid4())

    replies = [
        system.api.get(f"/orders/{unknown}"),
        system.api.get(f"/payments/{unknown}"),
        system.api.get(f"/payments/order/{unknown}"),
        system.api.patch(f"/orders/{unknown}/cancel"),
    ]

    assert [r.status for r in replies] == [404, 404, 404, 404]
    assert all(isinstance(r.body, dict) and r.body.get("message") for r in replies)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"userId": SEED_USER, "total": -1}, 422),
        ({"userId": SEED_USER, "total": 10.001}, 422),
        ({"userId": "not-a-uuid", "total": 10}, 422),
        ({"userId": SEED_USER, "total": 10, "extra": 1}, 422),
        ({"userId": SEED_USER}, 422),
    ],
)
def test_invalid_orders_are_rejected_and_create_nothing(
    system: RunningSystem, body: dict[str, Any], status: int
) -> None:
    before = system.api.get("/orders?limit=1").body["meta"]["total"]

    reply = system.api.post("/orders", body)

    assert reply.status == status
    assert reply.body["message"]
    assert system.api.get("/orders?limit=1").body["meta"]["total"] == before


def test_malformed_json_is_a_400_not_a_500(system: RunningSystem) -> None:
    reply = system.api.post("/orders", raw=b'{"userId": ')

    assert reply.status == 400
    assert reply.body["message"]


def test_a_status_other_than_cancelled_is_rejected(system: RunningSystem) -> None:
    order_id = place_order(system.api, 13.01)

    reply = system.api.patch(f"/orders/{order_id}", {"status": "PAID"})

    assert reply.status == 422


def test_the_correlation_id_is_echoed_on_every_response(system: RunningSystem) -> None:
    ok = system.api.post(
        "/orders", {"userId": SEED_USER, "total": 5}, headers={"X-Correlation-Id": "e2e-corr-1"}
    )
    error = system.api.get(f"/orders/{uuid.uuid4()}", headers={"X-Correlation-Id": "e2e-corr-2"})

    assert ok.header("X-Correlation-Id") == "e2e-corr-1"
    assert error.header("X-Correlation-Id") == "e2e-corr-2"
    wait_until(
        lambda: "e2e-corr-1" in system.logs("orders"), timeout=30, what="the correlation id in worker logs"
    )


def test_retrying_with_an_idempotency_key_returns_the_same_order(system: RunningSystem) -> None:
    headers = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = system.api.post("/orders", {"userId": SEED_USER, "total": 14.01}, headers=headers)

    again = system.api.post("/orders", {"userId": SEED_USER, "total": 14.01}, headers=headers)
    different = system.api.post("/orders", {"userId": SEED_USER, "total": 15.01}, headers=headers)

    assert first.status == again.status == 202
    assert again.body["orderId"] == first.body["orderId"]
    assert different.status == 422
