"""How lists are paged over HTTP: ?page=&limit= (the seed's, capped in depth) or ?cursor= (any depth)."""

import base64
import hashlib
import hmac
import math
import re
import struct
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from app.gateway.errors import PageTooDeep
from app.persistence import Page, Position

MAX_PAGE = 1_000_000
MAX_LIMIT = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAYOUT = struct.Struct(">Bq16s")  # version, created_at in microseconds since the epoch, id
_VERSION, _CHECK_BYTES = 1, 6
_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEPTH = (
    "Skips (page - 1) x limit rows, at most PAYFLOW_MAX_PAGE_OFFSET (default 10,000): deeper is 422, "
    "read on with `cursor`. Excludes `cursor`."
)
INVALID_CURSOR = "Not a cursor this list issued: pass its meta.nextCursor unchanged"


def encode_cursor(resource: str, position: Position) -> str:
    """The position as url-safe base64, with a check that ties it to `resource` and catches any edit."""
    micros = (position.created_at - EPOCH) // timedelta(microseconds=1)
    packed = _LAYOUT.pack(_VERSION, micros, position.id.bytes)
    return base64.urlsafe_b64encode(packed + _check(resource, packed)).rstrip(b"=").decode()


def decode_cursor(resource: str, cursor: str) -> Position:
    """The position `encode_cursor` wrote; ValueError for anything else (edited, truncated, re-padded)."""
    if not _SHAPE.fullmatch(cursor):
        raise ValueError("not url-safe base64")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    packed, check = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if len(raw) != _LAYOUT.size + _CHECK_BYTES or not hmac.compare_digest(check, _check(resource, packed)):
        raise ValueError("check failed")
    version, micros, id_bytes = _LAYOUT.unpack(packed)
    position = Position(EPOCH + timedelta(microseconds=micros), uuid.UUID(bytes=id_bytes))
    if version != _VERSION or encode_cursor(resource, position) != cursor:
        raise ValueError("not in canonical form")
    return position


def _check(resource: str, packed: bytes) -> bytes:
    # Integrity, not secrecy: a cursor names a position its holder could reach anyway by walking pages.
    return hashlib.blake2b(packed, digest_size=_CHECK_BYTES, person=resource.encode()[:16]).digest()


class Cursor(fields.String):
    """`?cursor=`: a `meta.nextCursor` of the same list, read as the position its next page starts after."""

    def __init__(self, resource: str) -> None:
        about = "meta.nextCursor of the previous page: the next page, newest first, stable under inserts."
        super().__init__(data_key="cursor", metadata={"description": about + " Excludes `page`."})
        self.resource = resource

    # A string on the wire (so documented as one), a Position once loaded: hence the override of the type.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Position:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return decode_cursor(self.resource, text)
        except (ValueError, OverflowError, TypeError):
            raise ValidationError(INVALID_CURSOR) from None


class PageQuerySchema(Schema):
    """?page=&limit= with the seed's defaults (page 1, limit 10), or ?cursor=&limit=."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": DEPTH},
    )
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))

    @pre_load
    def _page_or_cursor(self, data: Mapping[str, Any], **_: Any) -> Mapping[str, Any]:
        if "page" in data and "cursor" in data:
            raise ValidationError("Give page or cursor, not both", "cursor")
        return data


class PageMetaSchema(Schema):
    """`page` and `totalPages` answer page-number requests only; every answer says where the next page is."""

    page = fields.Integer(metadata={"description": "Page-number requests only"})
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Rows matching the filters now"})
    total_pages = fields.Integer(data_key="totalPages", metadata={"description": "Page-number requests only"})
    has_more = fields.Boolean(required=True, data_key="hasMore")
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        data_key="nextCursor",
        metadata={"description": "?cursor= of the next page"},
    )


def listed(
    read: Callable[..., Page[Any]], query: dict[str, Any], resource: str, max_offset: int
) -> dict[str, Any]:
    """The page `read(**query)` finds, as a list answer (its items, and the paging facts as `meta`); a page
    number past `max_offset` is refused."""
    page, limit = query["page"], query["limit"]
    if "after" not in query and (page - 1) * limit > max_offset:
        raise PageTooDeep(
            f"Page {page} with limit {limit} skips {(page - 1) * limit} rows; page numbers reach "
            f"{max_offset} rows deep. Follow meta.nextCursor with ?cursor= instead: "
            "a cursor page costs the same at any depth"
        )
    found = read(**query)
    following = found.next and encode_cursor(resource, found.next)
    meta = {"limit": limit, "total": found.total, "has_more": bool(following), "next_cursor": following}
    if "after" not in query:
        meta |= {"page": page, "total_pages": math.ceil(found.total / limit)}
    return {"data": found.items, "meta": meta}
