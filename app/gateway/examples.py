"""Example bodies for the OpenAPI document, taken from the seed README's requests and responses."""

from __future__ import annotations

from typing import Any

ORDER_ID = "476f5730-aa83-4ff0-ab9f-d6e19836e195"
USER_ID = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
PAYMENT_ID = "8a5da4d7-3512-4c74-bd62-64b6c0e93e7a"
CORRELATION_ID = "3f1c2b9e-5d4a-4e7b-9c1d-2a6f8e0b7c45"

CREATE_ORDER: dict[str, Any] = {"userId": USER_ID, "total": 999}
CANCEL_ORDER: dict[str, Any] = {"status": "CANCELLED"}

ORDER_ACCEPTED: dict[str, Any] = {
    "orderId": "11c4a663-47fd-4590-9c2d-ee72cc58bbbd",
    "message": "Order creation request accepted",
    "status": "PENDING_PAYMENT",
}
CANCEL_ACCEPTED: dict[str, Any] = {"orderId": ORDER_ID, "message": "Order cancellation request accepted"}

ORDER: dict[str, Any] = {
    "id": ORDER_ID,
    "userId": USER_ID,
    "total": 999,
    "status": "PAID",
    "createdAt": "2026-02-15T01:42:19.000Z",
    "updatedAt": "2026-02-15T01:42:21.000Z",
}
ORDER_PAGE: dict[str, Any] = {
    "data": [
        ORDER,
        {
            "id": "b7740f92-e574-4936-aa23-56f98ba61418",
            "userId": USER_ID,
            "total": 999,
            "status": "CANCELLED",
            "createdAt": "2026-02-15T01:42:39.000Z",
            "updatedAt": "2026-02-15T01:42:40.000Z",
        },
    ],
    "meta": {"page": 1, "limit": 10, "total": 2, "totalPages": 1},
}

PAYMENT: dict[str, Any] = {
    "id": PAYMENT_ID,
    "orderId": ORDER_ID,
    "amount": 999,
    "status": "APPROVED",
    "reason": None,
    "createdAt": "2026-02-15T01:42:19.500Z",
    "updatedAt": "2026-02-15T01:42:20.500Z",
}
PAYMENT_PAGE: dict[str, Any] = {
    "data": [
        PAYMENT,
        {
            "id": "1220b65f-df5f-456d-8238-e03520bff097",
            "orderId": "b7740f92-e574-4936-aa23-56f98ba61418",
            "amount": 999,
            "status": "DECLINED",
            "reason": "insufficient_funds",
            "createdAt": "2026-02-15T01:42:39.200Z",
            "updatedAt": "2026-02-15T01:42:40.200Z",
        },
    ],
    "meta": {"page": 1, "limit": 10, "total": 2, "totalPages": 1},
}
PAYMENT_STATS: dict[str, Any] = {
    "byStatus": [
        {"status": "APPROVED", "count": 2, "totalAmount": 1998},
        {"status": "DECLINED", "count": 1, "totalAmount": 999},
    ]
}

READY: dict[str, Any] = {"status": "ok", "database": "ok", "broker": "ok", "migrations": "ok"}
NOT_READY: dict[str, Any] = {
    "status": "unavailable",
    "database": "ok",
    "broker": "unreachable: ConnectionRefusedError",
    "migrations": "ok",
}


def error(status: int, phrase: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """An example of the one error body."""
    body: dict[str, Any] = {"statusCode": status, "error": phrase, "message": message}
    if errors:
        body["errors"] = errors
    return {**body, "correlationId": CORRELATION_ID}


ORDER_NOT_FOUND = error(404, "Not Found", f"Order {ORDER_ID} not found")
PAYMENT_NOT_FOUND = error(404, "Not Found", f"Payment {PAYMENT_ID} not found")
NO_PAYMENT_FOR_ORDER = error(404, "Not Found", f"No payment for order {ORDER_ID}")
NOT_CANCELLABLE = error(409, "Conflict", f"Order {ORDER_ID} is PAID and cannot be cancelled")
INVALID_BODY = error(422, "Unprocessable Entity", "Validation failed", {"total": ["Must be greater than 0."]})
INVALID_QUERY = error(
    422,
    "Unprocessable Entity",
    "Validation failed",
    {"limit": ["Must be greater than or equal to 1 and less than or equal to 100."]},
)
