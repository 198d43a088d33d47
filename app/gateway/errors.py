"""Every failure mapped to HTTP in one table and rendered in one JSON shape, never as HTML."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.gateway.correlation import correlation_id
from app.persistence import is_unavailable

log = logging.getLogger(__name__)

# Clearer words than werkzeug's defaults for the errors clients meet most.
_MESSAGES = {
    404: "No such route",
    405: "Method not allowed on this route",
    413: "Request body is larger than 64 KiB",
}
# Headers HTTP asks for with some statuses: when to retry, and which credentials to send.
_STATUS_HEADERS = {503: {"Retry-After": "5"}, 401: {"WWW-Authenticate": 'Bearer realm="payflow"'}}
Answer = tuple[Response, int, Mapping[str, str]]


class GatewayError(Exception):
    """Root of the failures the gateway itself reports; the status comes from ERROR_STATUS."""


class ApiKeyRequired(GatewayError): ...  # no key, or one matching none of the configured digests


class InvalidIdempotencyKey(GatewayError): ...


class MalformedBody(GatewayError): ...  # not acceptable JSON: syntax, duplicate keys, nesting, NaN


class UnsupportedBody(GatewayError): ...  # a body whose Content-Type is not JSON


class OrderNotFound(GatewayError): ...  # neither stored nor ever accepted


class PaymentNotFound(GatewayError): ...


class OrderNotCancellable(GatewayError): ...


class IdempotencyKeyReused(GatewayError): ...  # with a different request


class PageTooDeep(GatewayError): ...  # a page number past the offset cap: the cursor reads deeper


class DatabaseUnavailable(GatewayError): ...


ERROR_STATUS: dict[type[GatewayError], int] = {
    ApiKeyRequired: 401,
    InvalidIdempotencyKey: 400,
    MalformedBody: 400,
    UnsupportedBody: 415,
    OrderNotFound: 404,
    PaymentNotFound: 404,
    OrderNotCancellable: 409,
    IdempotencyKeyReused: 422,
    PageTooDeep: 422,
    DatabaseUnavailable: 503,
}


def error_body(
    status: int, message: str, correlation: str, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The one error body: statusCode, error, message, errors (validation failures only), correlationId."""
    body: dict[str, Any] = {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}
    return body | ({"errors": errors} if errors else {}) | {"correlationId": correlation}


def register_error_handlers(app: Flask) -> None:
    """Answer every exception a view or hook raises in the one error shape."""
    app.register_error_handler(GatewayError, _on_gateway_error)
    app.register_error_handler(HTTPException, _on_http_exception)
    app.register_error_handler(Exception, _on_unexpected)


def _respond(
    status: int, message: str, errors: dict[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> Answer:
    return jsonify(error_body(status, message, correlation_id(), errors)), status, headers or {}


def _on_gateway_error(error: GatewayError) -> Answer:
    status = ERROR_STATUS[type(error)]
    return _respond(status, str(error), headers=_STATUS_HEADERS.get(status))


def _on_http_exception(error: HTTPException) -> Answer:
    """Werkzeug and webargs errors; webargs (whose abort alone attaches `data`) nests field errors under
    their location ("json", "query"), and clients only need the fields."""
    status = error.code or 500
    errors: dict[str, Any] = {}
    for location, fields in (getattr(error, "data", None) or {}).get("messages", {}).items():
        errors.update(fields if isinstance(fields, dict) else {location: fields})
    message = "Validation failed" if errors else _MESSAGES.get(status, error.description or "")
    headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    return _respond(status, message, errors, headers)


def _on_unexpected(error: Exception) -> Answer:
    """Database outages become 503 with Retry-After; anything else is logged once and becomes 500."""
    if is_unavailable(error):
        log.warning(
            "database unavailable during %s %s: %s", request.method, request.path, type(error).__name__
        )
        return _on_gateway_error(DatabaseUnavailable("The database is unavailable; retry shortly"))
    log.exception("unexpected error during %s %s", request.method, request.path)
    return _respond(500, "Internal server error")
