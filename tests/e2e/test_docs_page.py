"""/api/docs in a real headless Chromium, against the real gateway, on a machine with no internet access."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.gateway import hash_key
from tests.support.browser import Page, headless_page
from tests.support.services import fresh_database, fresh_vhost
from tests.support.system import RunningSystem, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
# [method, path] of each operation block Swagger UI has drawn.
RENDERED_OPERATIONS = """Array.from(document.querySelectorAll('.opblock'), block => [
  block.querySelector('.opblock-summary-method').textContent,
  block.querySelector('.opblock-summary-path').dataset.path])"""


@pytest.fixture(scope="module")
def gateway() -> Iterator[RunningSystem]:
    """gunicorn alone (the page needs no worker), with an API key configured: the docs must not need it."""
    with (
        fresh_database("payflow_e2e") as db,
        fresh_vhost("payflow-e2e") as vhost,
        tempfile.TemporaryDirectory() as logs,
    ):
        env = system_env(db, vhost, PAYFLOW_API_KEY_HASHES=hash_key("pf_e2e_docs"))
        running = RunningSystem(env, Path(logs))
        running.setup()
        running.start("gateway")
        try:
            wait_until(lambda: answers(running), timeout=60, what="the gateway to answer")
            yield running
        finally:
            assert running.stop_all() == {"gateway": 0}


@pytest.fixture(scope="module")
def docs_page(gateway: RunningSystem) -> Iterator[Page]:
    with headless_page() as page:
        page.call("Page.navigate", url=f"{gateway.api.base_url}/docs")
        yield page


def answers(running: RunningSystem) -> bool:
    try:
        return running.api.get("/health/live", timeout=2).status == 200
    except OSError:
        return False


def documented_operations(gateway: RunningSystem) -> list[list[str]]:
    paths = gateway.api.get("/openapi.json").body["paths"]
    operations = [[method.upper(), path] for path, item in paths.items() for method in item]
    return sorted(operation for operation in operations if operation[0] in HTTP_METHODS)  # not "parameters"


def test_a_browser_without_internet_sees_every_operation_on_the_docs_page(
    gateway: RunningSystem, docs_page: Page
) -> None:
    expected = documented_operations(gateway)

    rendered = wait_until(
        lambda: sorted(docs_page.evaluate(RENDERED_OPERATIONS) or []) == expected,
        timeout=30,
        what="Swagger UI to draw every operation of /api/openapi.json",
    )

    assert rendered
    assert len(expected) >= 11


def test_the_docs_page_runs_under_its_content_security_policy_without_an_error(docs_page: Page) -> None:
    wait_until(lambda: docs_page.evaluate(RENDERED_OPERATIONS), timeout=30, what="Swagger UI to draw")

    errors = docs_page.errors()  # CSP violations, failed loads, console errors, exceptions

    assert errors == []
