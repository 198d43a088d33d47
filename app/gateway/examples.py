"""Example bodies for the OpenAPI document, taken from the seed README's requests and responses."""

from typing import Any

from app.gateway.errors import error_body

ORDER_ID = "476f5730-aa83-4ff0-ab9f-d6e19836e195"
CANCELLED_ORDER_ID = "b7740f92-e574-4936-aa23-56f98ba61418"
USER_ID = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"
PAYMENT_ID = "8a5da4d7-3512-4c74-bd62-64b6c0e93e7a"
DECLINED_ID = "1220b65f-df5f-456d-8238-e03520bff097"
CORRELATION_ID = "3f1c2b9e-5d4a-4e7b-9c1d-2a6f8e0b7c45"


def _times(created: str, updated: str) -> dict[str, str]:
    return {"createdAt": f"2026-02-15T{created}Z", "updatedAt": f"2026-02-15T{updated}Z"}


def _page(*items: dict[str, Any]) -> dict[str, Any]:
    meta = {
        "page": 1,
        "limit": 10,
        "total": len(items),
        "totalPages": 1,
        "hasMore": False,
        "nextCursor": None,
    }
    return {"data": list(items), "meta": meta}


CREATE_ORDER: dict[str, Any] = {"userId": USER_ID, "total": 999}
CANCEL_ORDER: dict[str, Any] = {"status": "CANCELLED"}
ORDER_ACCEPTED: dict[str, Any] = {
    "orderId": "11c4a663-47fd-4590-9c2d-ee72cc58bbbd",
    "message": "Order creation request accepted",
    "status": "PENDING_PAYMENT",
}
CANCEL_ACCEPTED: dict[str, Any] = {"orderId": ORDER_ID, "message": "Order cancellation request accepted"}

PAID = {"id": ORDER_ID, "userId": USER_ID, "total": 999, "status": "PAID"}
ORDER = PAID | _times("01:42:19.000", "01:42:21.000")
CANCELLED = ORDER | {"id": CANCELLED_ORDER_ID, "status": "CANCELLED"} | _times("01:42:39.000", "01:42:40.000")
ORDER_PAGE = _page(ORDER, CANCELLED)

APPROVED = {"id": PAYMENT_ID, "orderId": ORDER_ID, "amount": 999, "status": "APPROVED", "reason": None}
PAYMENT = APPROVED | _times("01:42:19.500", "01:42:20.500")
DECLINED = {
    "id": DECLINED_ID,
    "orderId": CANCELLED_ORDER_ID,
    "status": "DECLINED",
    "reason": "insufficient_funds",
}
PAYMENT_PAGE = _page(PAYMENT, PAYMENT | DECLINED | _times("01:42:39.200", "01:42:40.200"))
PAYMENT_STATS: dict[str, Any] = {
    "byStatus": [
        {"status": "APPROVED", "count": 2, "totalAmount": 1998},
        {"status": "DECLINED", "count": 1, "totalAmount": 999},
    ]
}

READY: dict[str, Any] = {"status": "ok", "database": "ok", "broker": "ok", "migrations": "ok"}
NOT_READY = READY | {"status": "unavailable", "broker": "unreachable: ConnectionRefusedError"}
ORDER_NOT_FOUND = error_body(404, f"Order {ORDER_ID} not found", CORRELATION_ID)
PAYMENT_NOT_FOUND = error_body(404, f"Payment {PAYMENT_ID} not found", CORRELATION_ID)
NO_PAYMENT_FOR_ORDER = error_body(404, f"No payment for order {ORDER_ID}", CORRELATION_ID)
NOT_CANCELLABLE = error_body(409, f"Order {ORDER_ID} is FAILED and cannot be cancelled", CORRELATION_ID)
INVALID_BODY = error_body(422, "Validation failed", CORRELATION_ID, {"total": ["Must be greater than 0."]})
UNKNOWN_FIELD = ['Unknown field: this route takes no body, {} or {"status": "CANCELLED"}']
BODY_NOT_EMPTY = error_body(422, "Validation failed", CORRELATION_ID, {"status": UNKNOWN_FIELD})
LIMIT_RANGE = "Must be greater than or equal to 1 and less than or equal to 100."
INVALID_QUERY = error_body(422, "Validation failed", CORRELATION_ID, {"limit": [LIMIT_RANGE]})
