"""The payments routes on fakes: seed shapes, reason exposed, stats for every status, 404s."""

from __future__ import annotations

import json
import uuid

import pytest
from flask.testing import FlaskClient

from app.payments import PaymentStatus
from tests.unit.gateway.fake_gateway import FakeGateway, a_payment


def test_a_payment_is_shown_in_the_seed_shape_with_its_reason(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    payment = a_payment(PaymentStatus.DECLINED, "card_declined")
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


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_every_payment_status_is_shown_as_its_value(
    client: FlaskClient, fakes: FakeGateway, status: PaymentStatus
) -> None:
    payment = a_payment(status)
    fakes.payments.payments = [payment]

    reply = client.get(f"/api/payments/{payment.id}")

    assert reply.get_json()["status"] == status.value


def test_a_payment_is_found_by_its_order(client: FlaskClient, fakes: FakeGateway) -> None:
    payment = a_payment()
    fakes.payments.payments = [a_payment(), payment]

    reply = client.get(f"/api/payments/order/{payment.order_id}")

    assert reply.status_code == 200
    assert reply.get_json()["id"] == str(payment.id)
    assert reply.get_json()["reason"] is None


def test_unknown_payments_and_orders_without_payment_are_404(client: FlaskClient) -> None:
    replies = [client.get(f"/api/payments/{uuid.uuid4()}"), client.get(f"/api/payments/order/{uuid.uuid4()}")]

    assert [r.status_code for r in replies] == [404, 404]
    assert all(r.get_json()["error"] == "Not Found" for r in replies)


def test_listing_payments_pages_and_filters_by_status(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.payments.payments = [
        a_payment(PaymentStatus.APPROVED),
        a_payment(PaymentStatus.DECLINED),
        a_payment(PaymentStatus.APPROVED),
    ]

    reply = client.get("/api/payments?status=APPROVED&limit=1")

    body = reply.get_json()
    assert reply.status_code == 200
    assert [p["status"] for p in body["data"]] == ["APPROVED"]
    assert body["meta"] | {"nextCursor": "..."} == {
        "page": 1,
        "limit": 1,
        "total": 2,
        "totalPages": 2,
        "hasMore": True,
        "nextCursor": "...",
    }


def test_the_status_filter_reaches_the_payments_module_as_its_enum(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    client.get("/api/payments?status=REFUNDED")

    [call] = fakes.payments.calls
    assert call == {"page": 1, "limit": 10, "status": PaymentStatus.REFUNDED}
    assert type(call["status"]) is PaymentStatus


def test_an_unknown_payment_status_filter_is_422(client: FlaskClient, fakes: FakeGateway) -> None:
    reply = client.get("/api/payments?status=LOST")

    assert reply.status_code == 422
    assert "status" in reply.get_json()["errors"]
    assert fakes.payments.calls == []


def test_stats_list_count_and_total_amount_of_every_status_in_order_as_numbers(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    fakes.payments.payments = [
        a_payment(PaymentStatus.APPROVED, amount="999.00"),
        a_payment(PaymentStatus.DECLINED, "card_declined", amount="10.50"),
        a_payment(PaymentStatus.APPROVED, amount="999.00"),
    ]

    reply = client.get("/api/payments/stats")

    assert reply.status_code == 200
    assert json.loads(reply.data) == {
        "byStatus": [
            {"status": "PROCESSING", "count": 0, "totalAmount": 0},
            {"status": "APPROVED", "count": 2, "totalAmount": 1998},
            {"status": "DECLINED", "count": 1, "totalAmount": 10.5},
            {"status": "FAILED", "count": 0, "totalAmount": 0},
            {"status": "REFUNDED", "count": 0, "totalAmount": 0},
            {"status": "CANCELLED", "count": 0, "totalAmount": 0},
        ]
    }
