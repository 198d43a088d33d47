"""The payments routes on fakes: seed shapes, reason exposed, stats, 404s."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from flask.testing import FlaskClient

from tests.unit.gateway.fake_gateway import FakeGateway, Payment, StatusTotal


def a_payment(status: str = "APPROVED", reason: str | None = None) -> Payment:
    return Payment(uuid.uuid4(), uuid.uuid4(), Decimal("999.00"), status, reason)


def test_a_payment_is_shown_in_the_seed_shape_with_its_reason(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    payment = a_payment("DECLINED", "card_declined")
    fakes.payments.payments = [payment]

    reply = client.get(f"/api/payments/{payment.id}")

    assert reply.status_code == 200
    assert reply.get_json() == {
        "id": str(payment.id),
        "orderId": str(payment.order_id),
        "amount": 999,
        "status": "DECLINED",
        "reason": "card_declined",
        "createdAt": "2026-02-15T01:42:19.000Z",
        "updatedAt": "2026-02-15T01:42:21.500Z",
    }


def test_a_payment_is_found_by_its_order(client: FlaskClient, fakes: FakeGateway) -> None:
    payment = a_payment()
    fakes.payments.payments = [payment]

    reply = client.get(f"/api/payments/order/{payment.order_id}")

    assert reply.status_code == 200
    assert reply.get_json()["id"] == str(payment.id)
    assert reply.get_json()["reason"] is None


def test_unknown_payments_and_orders_without_payment_are_404(client: FlaskClient) -> None:
    replies = [client.get(f"/api/payments/{uuid.uuid4()}"), client.get(f"/api/payments/order/{uuid.uuid4()}")]

    assert [r.status_code for r in replies] == [404, 404]
    assert all(r.get_json()["error"] == "Not Found" for r in replies)


def test_listing_payments_pages_and_filters_by_status(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.payments.payments = [a_payment("APPROVED"), a_payment("DECLINED"), a_payment("APPROVED")]

    reply = client.get("/api/payments?status=APPROVED&limit=1")

    body = reply.get_json()
    assert reply.status_code == 200
    assert [p["status"] for p in body["data"]] == ["APPROVED"]
    assert body["meta"] == {"page": 1, "limit": 1, "total": 2, "totalPages": 2}


def test_an_unknown_payment_status_filter_is_422(client: FlaskClient) -> None:
    reply = client.get("/api/payments?status=LOST")

    assert reply.status_code == 422
    assert "status" in reply.get_json()["errors"]


def test_stats_list_count_and_total_amount_per_status_as_numbers(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    fakes.payments.stats = [
        StatusTotal("APPROVED", 2, Decimal("1998.00")),
        StatusTotal("DECLINED", 1, Decimal("10.50")),
    ]

    reply = client.get("/api/payments/stats")

    assert reply.status_code == 200
    assert json.loads(reply.data) == {
        "byStatus": [
            {"status": "APPROVED", "count": 2, "totalAmount": 1998},
            {"status": "DECLINED", "count": 1, "totalAmount": 10.5},
        ]
    }
