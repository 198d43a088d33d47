"""The Blueprint every resource uses (strict JSON, typed decorators) and the wiring of the current app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import flask_smorest
from flask import current_app

from app.gateway.commands import CommandStore
from app.gateway.json_body import StrictParser
from app.gateway.schemas import ErrorSchema
from app.orders import OrderQueries
from app.payments import PaymentQueries

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "payflow.gateway"


@dataclass(frozen=True)
class GatewayDeps:
    """Everything the HTTP edge uses; `api_key_hashes` empty means authentication is off,
    `max_page_offset` is the most rows a page number may skip (PAYFLOW_MAX_PAGE_OFFSET), and
    `command_orders` (default: `orders`) reads the primary for a command's checks when GETs use a replica."""

    orders: OrderQueries
    payments: PaymentQueries
    commands: CommandStore
    readiness: Callable[[], dict[str, Any]]  # the checks, each "ok" or a reason; plus "replica", if any
    api_key_hashes: tuple[str, ...] = ()
    max_page_offset: int = 10_000
    command_orders: OrderQueries | None = None


def current_deps() -> GatewayDeps:
    return cast(GatewayDeps, current_app.extensions[EXTENSION_KEY])


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]  # flask_smorest ships no type hints
    """flask-smorest Blueprint whose JSON bodies are parsed strictly (see json_body)."""

    ARGUMENTS_PARSER = StrictParser()

    if TYPE_CHECKING:  # the decorators' types, which flask-smorest lacks: each returns the view it is given

        def route(self, rule: str, **options: Any) -> Callable[[F], F]: ...
        def response(self, status_code: int, schema: Any = None, **options: Any) -> Callable[[F], F]: ...
        def alt_response(self, status_code: int, **options: Any) -> Callable[[F], F]: ...
        def doc(self, **kwargs: Any) -> Callable[[F], F]: ...

    def arguments(self, schema: Any, **options: Any) -> Callable[[F], F]:
        # One instance per route: given the class, webargs would build a new Schema for every request.
        instance = schema() if isinstance(schema, type) else schema
        return cast(Callable[[F], F], super().arguments(instance, **options))

    def error(self, status_code: int, description: str, example: dict[str, Any]) -> Callable[[F], F]:
        """Documents an answer in the one error shape."""
        return self.alt_response(status_code, schema=ErrorSchema, description=description, example=example)
