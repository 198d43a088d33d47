"""The OpenAPI document describes every route with its schemas; the docs UI is served."""

from __future__ import annotations

from flask.testing import FlaskClient

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


def test_the_docs_ui_is_served(client: FlaskClient) -> None:
    reply = client.get("/api/docs")

    assert reply.status_code == 200
