"""The OpenAPI document describes every route with its schemas; statuses are the modules' enums."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.orders import OrderStatus
from app.payments import PaymentStatus

ROUTES = {
    "/api/orders": {"get", "post"},
    "/api/orders/{order_id}": {"get", "patch"},
    "/api/orders/{order_id}/cancel": {"patch"},
    "/api/payments": {"get"},
    "/api/payments/{payment_id}": {"get"},
    "/api/payments/order/{order_id}": {"get"},
    "/api/payments/stats": {"get"},
    "/api/health/live": {"get"},
    "/api/health/ready": {"get"},
}


def status_filter(spec: dict[str, Any], path: str) -> dict[str, Any]:
    [status] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "status"]
    schema: dict[str, Any] = status["schema"]
    return schema


def test_the_openapi_document_lists_every_route_and_method(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()

    assert {path: set(ops) - {"parameters"} for path, ops in spec["paths"].items()} == ROUTES


def test_ids_are_documented_as_uuids_and_errors_with_the_one_error_schema(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()

    [param] = spec["paths"]["/api/orders/{order_id}"]["parameters"]
    assert param["schema"] == {"type": "string", "format": "uuid"}
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "statusCode",
        "error",
        "message",
        "errors",
        "correlationId",
    }
    assert spec["components"]["schemas"]["CreateOrder"]["properties"]["total"]["type"] == "number"


@pytest.mark.parametrize(
    ("schema", "enum"), [("Order", OrderStatus), ("Payment", PaymentStatus), ("StatusTotal", PaymentStatus)]
)
def test_a_status_field_is_documented_as_a_string_of_its_modules_statuses(
    client: FlaskClient, schema: str, enum: type[StrEnum]
) -> None:
    spec = client.get("/api/openapi.json").get_json()

    status = spec["components"]["schemas"][schema]["properties"]["status"]

    assert status == {"type": "string", "enum": [member.value for member in enum]}


@pytest.mark.parametrize(("path", "enum"), [("/api/orders", OrderStatus), ("/api/payments", PaymentStatus)])
def test_a_status_filter_is_documented_as_a_string_of_its_modules_statuses(
    client: FlaskClient, path: str, enum: type[StrEnum]
) -> None:
    spec = client.get("/api/openapi.json").get_json()

    status = status_filter(spec, path)

    assert status == {"type": "string", "enum": [member.value for member in enum]}


def test_the_docs_ui_is_served(client: FlaskClient) -> None:
    reply = client.get("/api/docs")

    assert reply.status_code == 200
