"""The orders routes on fakes: seed shapes, Location, one event recorded per command, 404/409/422."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from app.contracts import OrderCancelled, OrderCreated
from app.gateway.schemas import CancelAcceptedSchema, OrderAcceptedSchema
from app.orders import OrderStatus
from tests.unit.gateway.fake_gateway import USER, FakeGateway, an_order


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


def test_creating_an_order_records_one_command_with_its_one_order_created_event(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    reply = client.post(
        "/api/orders", json={"userId": str(USER), "total": 25.1}, headers={"X-Correlation-Id": "req-1"}
    )

    order_id = uuid.UUID(reply.get_json()["orderId"])
    [(command, envelope)] = fakes.commands.rows
    assert (command.kind, command.order_id, command.response_status) == ("create_order", order_id, 202)
    assert command.response_body == reply.get_data(as_text=True)
    assert envelope.correlation_id == "req-1"
    assert fakes.commands.recorded_events() == [OrderCreated(order_id, USER, Decimal("25.10"))]


def test_the_202_answers_are_exactly_what_their_schemas_document(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]

    created = client.post("/api/orders", json={"userId": str(USER), "total": 999}).get_json()
    cancelled = client.patch(f"/api/orders/{order.id}/cancel").get_json()

    for body, schema in ((created, OrderAcceptedSchema()), (cancelled, CancelAcceptedSchema())):
        assert list(schema.dump(schema.load(body)).items()) == list(body.items())


def test_listing_orders_answers_the_seed_paging_shape(client: FlaskClient, fakes: FakeGateway) -> None:
    fakes.orders.orders = [an_order() for _ in range(3)]

    reply = client.get("/api/orders?page=2&limit=2")

    body = reply.get_json()
    assert reply.status_code == 200
    assert [order["id"] for order in body["data"]] == [str(fakes.orders.orders[2].id)]
    assert body["meta"] == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "hasMore": False,
        "nextCursor": None,
    }


def test_an_empty_list_of_orders_has_no_pages(client: FlaskClient) -> None:
    reply = client.get("/api/orders")

    meta = {"page": 1, "limit": 10, "total": 0, "totalPages": 0, "hasMore": False, "nextCursor": None}
    assert reply.get_json() == {"data": [], "meta": meta}


def test_listing_orders_defaults_to_page_1_of_10_and_passes_the_filters_as_the_modules_types(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    client.get("/api/orders")
    client.get(f"/api/orders?status=PAID&userId={USER}")

    assert fakes.orders.calls == [
        {"page": 1, "limit": 10, "status": None, "user_id": None},
        {"page": 1, "limit": 10, "status": OrderStatus.PAID, "user_id": USER},
    ]
    assert type(fakes.orders.calls[1]["status"]) is OrderStatus


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


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_order_status_is_shown_as_its_value(
    client: FlaskClient, fakes: FakeGateway, status: OrderStatus
) -> None:
    order = an_order(status)
    fakes.orders.orders = [order]

    reply = client.get(f"/api/orders/{order.id}")

    assert reply.get_json()["status"] == status.value


def test_an_unknown_order_is_404_with_a_json_message(client: FlaskClient) -> None:
    reply = client.get(f"/api/orders/{uuid.uuid4()}")

    assert reply.status_code == 404
    assert "not found" in reply.get_json()["message"]


def test_cancelling_by_patching_the_status_answers_202_and_emits_order_cancelled(
    client: FlaskClient, fakes: FakeGateway
) -> None:
    order = an_order(OrderStatus.PAID)
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}", json={"status": "CANCELLED"})

    assert reply.status_code == 202
    assert reply.get_json() == {"orderId": str(order.id), "message": "Order cancellation request accepted"}
    assert reply.headers["Location"] == f"/api/orders/{order.id}"
    assert fakes.commands.recorded_events() == [OrderCancelled(order.id)]


def test_cancelling_through_the_cancel_route_needs_no_body(client: FlaskClient, fakes: FakeGateway) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}/cancel")

    assert reply.status_code == 202
    assert [(c.kind, c.order_id) for c in fakes.commands.commands] == [("cancel_order", order.id)]


@pytest.mark.parametrize(
    "request_body",
    [{}, {"data": b"", "content_type": "application/json"}, {"json": {}}, {"json": {"status": "CANCELLED"}}],
    ids=["no-body-no-content-type", "empty-json-body", "empty-object", "the-seed-status-cancelled"],
)
def test_the_cancel_route_cancels_with_no_body_an_empty_body_an_empty_object_or_status_cancelled(
    client: FlaskClient, fakes: FakeGateway, request_body: dict[str, object]
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}/cancel", **request_body)

    assert reply.status_code == 202, reply.get_data(as_text=True)
    assert fakes.commands.recorded_events() == [OrderCancelled(order.id)]


@pytest.mark.parametrize(
    ("body", "named", "message"),
    [
        ({"status": "PAID"}, "status", "Must be one of: CANCELLED."),
        ({"refund": False}, "refund", "Unknown field: this route takes no body"),
        ([1, 2], "_schema", "This route takes no body"),
        ("x", "_schema", "This route takes no body"),
    ],
    ids=["other-status", "unknown-field", "array", "string"],
)
def test_the_cancel_route_refuses_any_other_body_with_422_naming_it_and_cancels_nothing(
    client: FlaskClient, fakes: FakeGateway, body: object, named: str, message: str
) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}/cancel", json=body)

    assert reply.status_code == 422
    assert reply.get_json()["errors"][named][0].startswith(message)
    assert fakes.commands.commands == []


def test_an_accepted_order_not_yet_stored_by_the_orders_worker_can_be_cancelled(client: FlaskClient) -> None:
    created = client.post("/api/orders", json={"userId": str(USER), "total": 10}).get_json()

    reply = client.patch(f"/api/orders/{created['orderId']}/cancel")

    assert reply.status_code == 202


def test_cancelling_an_order_that_was_never_created_is_404(client: FlaskClient, fakes: FakeGateway) -> None:
    reply = client.patch(f"/api/orders/{uuid.uuid4()}/cancel")

    assert reply.status_code == 404
    assert fakes.commands.events == []


@pytest.mark.parametrize("status", [OrderStatus.FAILED, OrderStatus.CANCELLED])
def test_cancelling_an_order_in_a_final_status_is_a_409_conflict(
    client: FlaskClient, fakes: FakeGateway, status: OrderStatus
) -> None:
    order = an_order(status)
    fakes.orders.orders = [order]

    reply = client.patch(f"/api/orders/{order.id}", json={"status": "CANCELLED"})

    assert reply.status_code == 409
    assert reply.get_json()["message"] == f"Order {order.id} is {status.value} and cannot be cancelled"
    assert fakes.commands.events == []


def test_patching_any_status_other_than_cancelled_is_422(client: FlaskClient, fakes: FakeGateway) -> None:
    order = an_order(OrderStatus.PENDING)
    fakes.orders.orders = [order]

    replies = [client.patch(f"/api/orders/{order.id}", json=body) for body in ({"status": "PAID"}, {})]

    assert [r.status_code for r in replies] == [422, 422]
    assert "status" in replies[0].get_json()["errors"]
    assert fakes.commands.events == []
