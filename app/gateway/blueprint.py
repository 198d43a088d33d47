"""The Blueprint every resource uses (strict JSON parsing) and access to the wiring of the current app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask_smorest
from flask import Response, current_app, jsonify

from app.gateway.commands import Reply
from app.gateway.json_body import StrictParser
from app.gateway.ports import CommandStore, GatewayDeps

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "payflow.gateway"
IDEMPOTENCY_HEADER_DOC: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "Retrying with the same key and body replays the first answer (kept >= 24 h).",
        }
    ]
}


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]  # flask_smorest ships no type hints
    """flask-smorest Blueprint whose JSON bodies are parsed strictly (see json_body); the overrides
    only add the type hints flask-smorest lacks, so views stay type-checked."""

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        return cast(Callable[[F], F], super().route(rule, **options))

    def arguments(self, schema: Any, **options: Any) -> Callable[[F], F]:
        # One instance per route: given the class, webargs would build a new Schema for every request.
        instance = schema() if isinstance(schema, type) else schema
        return cast(Callable[[F], F], super().arguments(instance, **options))

    def response(self, status_code: int, schema: Any = None, **options: Any) -> Callable[[F], F]:
        return cast(Callable[[F], F], super().response(status_code, schema, **options))

    def alt_response(self, status_code: int, **options: Any) -> Callable[[F], F]:
        return cast(Callable[[F], F], super().alt_response(status_code, **options))

    def doc(self, **kwargs: Any) -> Callable[[F], F]:
        return cast(Callable[[F], F], super().doc(**kwargs))


def current_deps() -> GatewayDeps:
    """The dependencies create_app was given (with `commands` filled in)."""
    deps: GatewayDeps = current_app.extensions[EXTENSION_KEY]
    return deps


def command_store() -> CommandStore:
    store = current_deps().commands
    assert store is not None, "create_app always fills in the command store"
    return store


def reply_response(reply: Reply, location: str) -> Response:
    """A command's 202 (first time or replayed) with Location and, for replays, Idempotent-Replayed."""
    response = jsonify(reply.body)
    response.status_code = reply.status
    response.headers["Location"] = location
    if reply.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
