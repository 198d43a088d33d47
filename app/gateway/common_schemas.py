"""Schemas shared by every resource: paging query and meta, the error body, health answers."""

from __future__ import annotations

import math

from marshmallow import Schema, fields, validate

MAX_PAGE = 1_000_000
MAX_LIMIT = 100


class PageQuerySchema(Schema):
    """?page=&limit= with the seed's defaults (page 1, limit 10)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))


class PageMetaSchema(Schema):
    """Paging facts of a list answer."""

    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True)
    total_pages = fields.Integer(required=True, data_key="totalPages")


def page_meta(page: int, limit: int, total: int) -> dict[str, int]:
    """The `meta` object of a list answer."""
    return {"page": page, "limit": limit, "total": total, "total_pages": math.ceil(total / limit)}


class ErrorSchema(Schema):
    """The one error body of the whole API."""

    status_code = fields.Integer(required=True, data_key="statusCode")
    error = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Validation errors by field (validation failures only)"},
    )
    correlation_id = fields.String(required=True, data_key="correlationId")


class LivenessSchema(Schema):
    """The process is up."""

    status = fields.String(required=True)


class ReadinessSchema(Schema):
    """`status` plus one entry per dependency: "ok" or what is wrong with it."""

    status = fields.String(required=True, metadata={"description": "ok or unavailable"})
    database = fields.String()
    broker = fields.String()
    migrations = fields.String()
