"""Every failure mapped to HTTP in one table and rendered in one JSON shape, never as HTML."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.gateway.correlation import correlation_id
from app.persistence import is_unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_S = "5"
# Clearer words than werkzeug's defaults for the errors clients meet most.
_MESSAGES = {
    404: "No such route",
    405: "Method not allowed on this route",
    413: "Request body is larger than 64 KiB",
}
# Headers HTTP asks for with some statuses: when to retry, and which credentials to send.
_STATUS_HEADERS = {503: {"Retry-After": RETRY_AFTER_S}, 401: {"WWW-Authenticate": 'Bearer realm="payflow"'}}


class GatewayError(Exception):
    """Root of the failures the gateway itself reports; the status comes from ERROR_STATUS."""


class ApiKeyRequired(GatewayError):
    """The request carries no API key, or one that matches none of the configured digests."""


class InvalidIdempotencyKey(GatewayError):
    """The Idempotency-Key header is empty, too long or not printable ASCII."""


class MalformedBody(GatewayError):
    """The request body is not acceptable JSON (syntax, duplicate keys, nesting, NaN)."""


class UnsupportedBody(GatewayError):
    """A request body was sent with a Content-Type other than JSON."""


class OrderNotFound(GatewayError):
    """No order with this id exists or was ever accepted."""


class PaymentNotFound(GatewayError):
    """No payment matches the id asked for."""


class OrderNotCancellable(GatewayError):
    """The order's current status does not allow cancelling it."""


class IdempotencyKeyReused(GatewayError):
    """The Idempotency-Key was already used for a different request."""


class DatabaseUnavailable(GatewayError):
    """PostgreSQL cannot be reached or did not answer in time."""


ERROR_STATUS: dict[type[GatewayError], int] = {
    ApiKeyRequired: 401,
    InvalidIdempotencyKey: 400,
    MalformedBody: 400,
    UnsupportedBody: 415,
    OrderNotFound: 404,
    PaymentNotFound: 404,
    OrderNotCancellable: 409,
    IdempotencyKeyReused: 422,
    DatabaseUnavailable: 503,
}


def error_response(
    status: int, message: str, errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The one error body: statusCode, error, message, errors (validation only) and correlationId."""
    body: dict[str, Any] = {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    body["correlationId"] = correlation_id()
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_gateway_error(error: GatewayError) -> Response:
    status = ERROR_STATUS[type(error)]
    return error_response(status, str(error), headers=_STATUS_HEADERS.get(status))


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug and webargs errors; validation messages arrive in `data["messages"]` by location."""
    status = error.code or 500
    data: dict[str, Any] = getattr(error, "data", None) or {}
    errors = _flatten(data.get("messages") or data.get("errors") or {})
    default = "Validation failed" if errors else _MESSAGES.get(status, error.description or "")
    message = data.get("message") or default
    headers = {k: v for k, v in error.get_headers() if k == "Allow"} | dict(data.get("headers") or {})
    return error_response(status, str(message), errors, headers)


def handle_unexpected(error: Exception) -> Response:
    """Database outages become 503 with Retry-After; anything else is logged once and becomes 500."""
    if is_unavailable(error):
        log.warning(
            "database unavailable during %s %s: %s", request.method, request.path, type(error).__name__
        )
        return handle_gateway_error(DatabaseUnavailable("The database is unavailable; retry shortly"))
    log.exception("unexpected error during %s %s", request.method, request.path)
    return error_response(500, "Internal server error")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(GatewayError, handle_gateway_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests field errors under their location ("json", "query"); clients only need the fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        flat.update(fields if isinstance(fields, dict) else {location: fields})
    return flat
