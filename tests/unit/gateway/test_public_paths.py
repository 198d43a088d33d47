"""Public paths match exactly; only plain asset paths below the docs page are public besides them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.gateway import hash_key
from app.gateway.auth import is_public
from tests.unit.gateway.fake_gateway import FakeGateway, unit_settings

ERROR_KEYS = {"statusCode", "error", "message", "correlationId"}


@pytest.fixture
def secured(fakes: FakeGateway) -> FlaskClient:
    return fakes.build(unit_settings(api_key_hashes=(hash_key("pf_live_key-0123456789"),))).test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/api/docsx",
        "/api/openapi.jsonx",
        "/api/openapi.json/x",
        "/api/health/../orders",
        "/api/health/livex",
        "/api/health/",
        "/api/docs/../orders",
        "/api/docs/assets/../../orders",
        "/api/docs/.env",
        "/api/docs//orders",
    ],
)
def test_a_path_that_only_starts_like_a_public_one_needs_a_key(secured: FlaskClient, path: str) -> None:
    reply = secured.get(path)

    assert reply.status_code == 401
    assert set(reply.get_json()) == ERROR_KEYS


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/api/docs/", True),
        ("/api/docs/swagger-ui.css", True),
        ("/api/docs/swagger-ui/5.17.14/swagger-ui-bundle.js", True),
        ("/api/docs/..", False),
        ("/api/docs/a/../../orders", False),
        ("/api/docs/a b", False),
        ("/api/healthz", False),
        ("/metrics", True),
    ],
)
def test_only_plain_paths_under_the_docs_page_are_public_assets(path: str, public: bool) -> None:
    assert is_public(path) is public
