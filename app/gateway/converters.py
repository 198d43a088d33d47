"""URL converter for id segments: a malformed id is a clear 400, not an HTML 404 from the router."""

from __future__ import annotations

import uuid

from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter

NAME = "id"


def openapi_schema(converter: BaseConverter) -> dict[str, str]:
    """How flask-smorest documents a path parameter using this converter."""
    return {"type": "string", "format": "uuid"}


class UuidConverter(BaseConverter):
    """Matches any single segment and parses it as a UUID, raising 400 when it is not one.

    It raises an HTTPException because routing runs before Flask's error handling of views: only those
    are caught there and turned into the request's routing error."""

    regex = "[^/]+"

    def to_python(self, value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            shown = value if len(value) <= 64 else f"{value[:64]}..."
            raise BadRequest(f"{shown!r} is not a valid UUID") from None

    def to_url(self, value: object) -> str:
        return str(value)
