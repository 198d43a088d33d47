"""/api/docs: Swagger UI from the gateway's own packaged files, under a strict CSP, open without a key."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from app.gateway import hash_key
from tests.unit.gateway.fake_gateway import FakeGateway, unit_settings

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-init.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
NOT_ASSETS = (
    "swagger-ui.js",  # in the package's folder, but not a file the page loads
    "oauth2-redirect.html",
    "swagger_ui_page.html",  # the page's template, beside swagger-init.js
    "..%2F..%2F..%2Fsetup.cfg",
    "%2Fetc%2Fpasswd",
    "..",
    "dist/swagger-ui.css",
)


def test_the_docs_page_loads_scripts_and_styles_only_from_the_gateway(client: FlaskClient) -> None:
    reply = client.get("/api/docs")

    html = reply.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    assert sources
    assert all(source.startswith("/api/docs/assets/") for source in sources), sources
    assert "<script>" not in html  # no inline script: the policy below may forbid them
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none';" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe" not in policy


def test_only_the_files_the_docs_page_loads_are_served_each_with_its_type(client: FlaskClient) -> None:
    served = {name: client.get(f"/api/docs/assets/{name}") for name in ASSETS}
    refused = {name: client.get(f"/api/docs/assets/{name}") for name in NOT_ASSETS}

    assert {name: reply.mimetype for name, reply in served.items()} == ASSETS
    for reply in served.values():
        assert reply.status_code == 200
        assert reply.content_length
        assert reply.headers["Cache-Control"] == "public, max-age=86400"
        assert reply.headers["ETag"]
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert {name: reply.status_code for name, reply in refused.items()} == dict.fromkeys(NOT_ASSETS, 404)
    assert {reply.get_json()["message"] for reply in refused.values()} == {"No such route"}


def test_an_unchanged_docs_asset_is_revalidated_without_its_body(client: FlaskClient) -> None:
    first = client.get("/api/docs/assets/swagger-ui.css")

    again = client.get("/api/docs/assets/swagger-ui.css", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.get_data() == b""


# The page itself: test_authentication.
@pytest.mark.parametrize("path", [f"/api/docs/assets/{name}" for name in ASSETS])
def test_the_docs_page_files_need_no_key(fakes: FakeGateway, path: str) -> None:
    secured = fakes.build(unit_settings(api_key_hashes=(hash_key("pf_live_some-key-0123456789"),)))

    reply = secured.test_client().get(path)

    assert reply.status_code == 200
