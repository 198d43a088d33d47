"""The gateway's OpenAPI document as data and as the committed, diff-friendly text of docs/openapi.json."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

REGENERATE = "payflow openapi --output docs/openapi.json"


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document flask-smorest serves at /api/openapi.json."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    document: dict[str, Any] = api.spec.to_dict()
    return document


def render_openapi(app: Flask) -> str:
    """Pretty JSON with sorted keys and a final newline, so regenerating an unchanged API changes nothing."""
    return json.dumps(openapi_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
