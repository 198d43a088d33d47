"""The committed docs/openapi.json is exactly what the code generates, so API changes show up in review."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from app.gateway import openapi_document, render_openapi

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = "payflow openapi --output docs/openapi.json"


def test_the_committed_openapi_document_matches_the_code(app: Flask) -> None:
    generated = render_openapi(app)

    committed = COMMITTED.read_text(encoding="utf-8")

    assert generated == committed, f"docs/openapi.json is out of date; regenerate it with `{REGENERATE}`"


def test_the_served_document_is_the_committed_one(app: Flask) -> None:
    served = app.test_client().get("/api/openapi.json").get_json()

    assert served == json.loads(COMMITTED.read_text(encoding="utf-8")) == openapi_document(app)


def test_every_operation_documents_its_success_and_error_answers_with_examples(app: Flask) -> None:
    spec = openapi_document(app)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            success = next(code for code in responses if code.startswith("2"))
            assert "example" in responses[success]["content"]["application/json"], (method, path)
            assert "default" in responses, (method, path)
            if "requestBody" in operation:
                assert "example" in operation["requestBody"]["content"]["application/json"], (method, path)
