"""Strict request input: JSON bodies exact, unique-keyed, NaN-free, bounded; each query parameter once."""

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser

from app.gateway.errors import MalformedBody, UnsupportedBody

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_NUMBER_LENGTH = 100  # characters of one JSON number: far past any amount, far below a costly parse


def strict_loads(text: str | bytes) -> Any:
    """Parse JSON, raising MalformedBody for anything a client should not send; numbers with a
    fraction become Decimal so money never passes through float."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_float=_exact_number,
            parse_int=_whole_number,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise MalformedBody(f"JSON body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # also covers UnicodeDecodeError and oversized integers
        raise MalformedBody(f"Request body is not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise MalformedBody(f"JSON body is nested deeper than {MAX_DEPTH} levels")
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with `strict_loads` for everything it parses; answers keep field order."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


class StrictParser(FlaskParser):
    """webargs parser that reads JSON bodies with `strict_loads` instead of the permissive stdlib defaults,
    and refuses a query parameter given twice."""

    # None: each schema's own `unknown` (marshmallow's RAISE) applies, so a misspelt query parameter
    # (`?statu=PAID`) is a 422 naming it instead of a silently unfiltered list.
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {  # noqa: RUF012 - webargs reads it as a class attribute
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
    }

    def load_querystring(self, req: Any, schema: Schema) -> Any:
        """The query parameters; one given twice is refused (unless its field takes a list): webargs would
        keep the first, so `?status=PAID&status=PENDING` would answer PAID orders only, without a word."""
        proxy = super().load_querystring(req, schema)
        given = {name: len(values) for name, values in req.args.lists() if name not in proxy.multiple_keys}
        if repeated := {name: [f"Given {n} times; give it once"] for name, n in given.items() if n > 1}:
            raise ValidationError(repeated)
        return proxy

    def _raw_load_json(self, req: Any) -> Any:
        data = req.get_data(cache=True)
        return strict_loads(data) if data else core.missing


def require_json_content_type() -> None:
    """before_request hook: a body on a write must be declared as JSON (415 otherwise)."""
    has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    ).lower()
    if request.method in ("POST", "PUT", "PATCH") and has_body and not request.is_json:
        raise UnsupportedBody(f"Content-Type must be application/json, got {request.mimetype or 'none'!r}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedBody(f"Duplicate key {key!r} in JSON body")
        result[key] = value
    return result


def _exact_number(text: str) -> Decimal:
    """A number with a fraction or exponent; an exponent beyond what Decimal holds (1e9999999999999999999)
    is the client's error, not an arithmetic failure of ours."""
    try:
        return Decimal(_bounded(text))
    except InvalidOperation:
        raise MalformedBody(f"Number {_shown(text)} is out of range") from None


def _whole_number(text: str) -> int:
    return int(_bounded(text))


def _bounded(text: str) -> str:
    if len(text) > MAX_NUMBER_LENGTH:
        raise MalformedBody(f"Number {_shown(text)} is longer than {MAX_NUMBER_LENGTH} characters")
    return text


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:40]}..."


def _no_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a valid JSON number")


def _depth(value: Any) -> int:
    """Nesting depth, computed without recursion so a hostile body cannot exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest
