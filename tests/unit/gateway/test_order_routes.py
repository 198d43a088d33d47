"""The orders routes on fakes: seed shapes, Location, events written with the command, 404/409/422."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from flask.testing import FlaskClient

from app.contracts import OrderCancelled, OrderCreated, parse_event
from tests.unit.gateway.fake_gateway import FakeGateway, Order

USER = uuid.UUID("d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f")


def an_order(status: str = "PAID", total: str = "999") -> Order:
    return Order(uuid.uuid4(), USER, Decimal(total), status)


def test_creating_an_order_answers_202_in_the_seed_shape_with_a_location(client: FlaskClient) -> None:
    reply = client.post("/api/orders", json={"userId": str(USER), "total": 999})

    body = reply.get_json()
    assert reply.status_code == 202
    assert body == {
        "orderId": body["orderId"],
        "message": "Order creation request accepted",
        "status": "PENDING_PAYMENT",
    }
    assert uuid.UUID(body["orderId"]).version == 4
    assert reply.headers["Location"] == f"/api/orders/{body['orderId']}"


def test_creating_an_order_records_one_command_and_one_order_created_event(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    reply = client.post(
        "/api/orders", json={"userId": str(USER), "total": 25.1}, headers={"X-Correlation-Id": "req-1"}
    )

    order_id = uuid.UUID(reply.get_json()["orderId"])
    [command] = fakes.commands.commands
    [envelope] = fakes.commands.events
    assert (command.kind, command.order_id, command.response_status) == ("create_order", order_id, 202)
    assert envelope.correlation_id == "req-1"
    assert parse_event(envelope) == OrderCreated(order_id, USER, Decimal("25.10"))


def test_listing_orders_answers_the_seed_paging_shape(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.orders.orders = [an_order() for _ in range(3)]

    reply = client.get("/api/orders?page=2&limit=2")

    body = reply.get_json()
    assert reply.status_code == 200
    assert len(body["data"]) == 1
    assert body["meta"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}


def test_listing_orders_defaults_to_page_1_of_10_and_passes_the_filters(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    client.get("/api/orders")
    client.get(f"/api/orders?status=PAID&userId={USER}")

    assert fakes.orders.calls == [
        {"page": 1, "limit": 10, "status": None, "user_id": None},
        {"page": 1, "limit": 10, "status": "PAID", "user_id": USER},
    ]


def test_an_order_is_shown_with_json_number_totals_and_millisecond_utc_times(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    whole, cents = an_order(total="999.00"), an_order(total="25.01")
    fakes.orders.orders = [whole, cents]

    first = client.get(f"/api/orders/{whole.id}").get_json()
    second = json.loads(client.get(f"/api/orders/{cents.id}").data)  # stdlib: floats as the client sees them

    assert first == {
        "id": str(whole.id),
        "userId": str(USER),
        "total": 999,
        "status": "PAID",
        "createdAt": "2026-02-15T01:42:19.000Z",
        "updatedAt": "2026-02-15T01:42:21.500Z",
    }
    assert isinstance(second["total"], float)
    assert second["total"] == 25.01


def test_an_unknown_order_is_404_with_a_json_message(client: FlaskClient) -> None:
    reply = client.get(f"/api/orders/{uuid.uuid4()}")

    assert reply.status_code == 404
    assert "not found" in reply.get_json()["message"]


def test_cancelling_by_patching_the_status_answers_202_and_emits_order_cancelled(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order("PAID")
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}", json={"status": "CANCELLED"})

    assert reply.status_code == 202
    assert reply.get_json() == {"orderId": str(order.id), "message": "Order cancellation request accepted"}
    assert [parse_event(e) for e in fakes.commands.events] == [OrderCancelled(order.id)]


def test_cancelling_through_the_cancel_route_needs_no_body(client: FlaskClient, fakes: FakeGateway) -> None:
    order = an_order("PENDING")
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}/cancel")

    assert reply.status_code == 202
    assert fakes.commands.commands[0].kind == "cancel_order"


def test_an_accepted_order_not_yet_stored_by_the_orders_worker_can_be_cancelled(client: FlaskClient) -> None:
    created = client.post("/api/orders", json={"userId": str(USER), "total": 10}).get_json()

    reply = client.patch(f"/api/orders/{created['orderId']}/cancel")

    assert reply.status_code == 202


def test_cancelling_an_order_that_was_never_created_is_404(client: FlaskClient, fakes: FakeGateway) -> None:
    reply = client.patch(f"/api/orders/{uuid.uuid4()}/cancel")

    assert reply.status_code == 404
    assert fakes.commands.events == []


def test_cancelling_a_failed_order_is_a_409_conflict(client: FlaskClient, fakes: FakeGateway) -> None:
    order = an_order("FAILED")
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}", json={"status": "CANCELLED"})

    assert reply.status_code == 409
    assert reply.get_json()["message"] == f"Order {order.id} is FAILED and cannot be cancelled"
    assert fakes.commands.events == []


def test_patching_any_status_other_than_cancelled_is_422(client: FlaskClient, fakes: FakeGateway) -> None:
    order = an_order("PENDING")
    fakes.orders.orders = [order]

    replies = [client.patch(f"/api/orders/{order.id}", json=body) for body in ({"status": "PAID"}, {})]

    assert [r.status_code for r in replies] == [422, 422]
    assert "status" in replies[0].get_json()["errors"]
    assert fakes.commands.events == []
