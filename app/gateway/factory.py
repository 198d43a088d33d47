"""create_app: the Flask gateway wired with the dependencies it is handed, and its OpenAPI document."""

import json
from typing import Any, cast

import flask_smorest
from flask import Flask, Response

from app.gateway import auth, docs_routes, health_routes, metrics, order_routes, payment_routes
from app.gateway.blueprint import EXTENSION_KEY, GatewayDeps
from app.gateway.body_limit import BufferedBody, refuse_unreadable_or_oversized_body
from app.gateway.correlation import CorrelationMiddleware
from app.gateway.errors import register_error_handlers
from app.gateway.fields import Amount, Money, Timestamp, UuidConverter
from app.gateway.json_body import MAX_BODY_BYTES, StrictJSONProvider, require_json_content_type
from app.gateway.schemas import ErrorSchema

OPENAPI_CONFIG: dict[str, Any] = {
    "API_TITLE": "payflow",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",  # the document at /api/openapi.json, flask-smorest's default name
    # No OPENAPI_SWAGGER_UI_PATH: docs_routes serves /api/docs from packaged files, without inline script.
}
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "An API key (see the README)."}
FIELD_TYPES = ((Money, "number", None), (Amount, "number", None), (Timestamp, "string", "date-time"))


class GatewayApi(flask_smorest.Api):  # type: ignore[misc]  # flask_smorest ships no type hints
    """flask-smorest Api documenting our error body; register_error_handlers replaces its handler."""

    ERROR_SCHEMA = ErrorSchema


class GatewayFlask(Flask):
    """Flask whose automatic OPTIONS answer is 204 with `Allow` and no body (Flask's is an empty text/html
    200); there is no CORS here, so OPTIONS only says which methods a route takes."""

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def create_app(deps: GatewayDeps) -> GatewayFlask:
    """The gateway app; builds no connections (engines connect lazily on the first request)."""
    app = GatewayFlask("app.gateway")
    app.json = StrictJSONProvider(app)
    app.config.update(OPENAPI_CONFIG, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.url_map.converters["id"] = UuidConverter
    app.extensions[EXTENSION_KEY] = deps
    # Every operation needs a key, except the probes (health_routes documents `security: []`).
    api = GatewayApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.register_converter(UuidConverter, lambda _: {"type": "string", "format": "uuid"})
    for field, openapi_type, openapi_format in FIELD_TYPES:
        api.register_field(field, openapi_type, openapi_format)
    for module in (order_routes, payment_routes, health_routes):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs_routes.blp)  # a plain Flask blueprint: the page is not an API operation
    register_error_handlers(app)
    metrics.instrument(app)  # first before_request hook, so refused requests are timed too
    if deps.api_key_hashes:
        app.before_request(auth.require_api_key)  # before other checks: no key, no answer
    app.before_request(refuse_unreadable_or_oversized_body)
    app.before_request(require_json_content_type)
    buffered = BufferedBody(app.wsgi_app, MAX_BODY_BYTES)
    app.wsgi_app = CorrelationMiddleware(buffered)  # type: ignore[method-assign]
    return app


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document flask-smorest serves at /api/openapi.json."""
    return cast(dict[str, Any], app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict())


def render_openapi(app: Flask) -> str:
    """Pretty JSON with sorted keys and a final newline, so regenerating an unchanged API changes nothing."""
    return json.dumps(openapi_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
