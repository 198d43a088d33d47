"""With PAYFLOW_BROKER_ADMIN_URL set, setup makes the role users through the management HTTP API (as in the
compose file's RabbitMQ). A fake server records the exact requests setup sends; test_broker_users.py
checks what users made through a real management API (a throwaway node with the plugin) may do."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app import bootstrap
from app.bus import make_role_users
from app.config import Settings

pytestmark = pytest.mark.integration
ROLE_URLS = {
    "gateway": "amqp://pf-gateway:gw%2Fpass@broker:5672/payflow",
    "orders": "amqp://pf-orders:op@broker:5672/payflow",
    "payments": "",
}


class FakeManagementApi(BaseHTTPRequestHandler):
    """Records each PUT (path, Authorization, JSON body) in the server's `calls`; answers 204."""

    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append((self.path, self.headers["Authorization"], body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet: the test reads the calls, not a log."""


@pytest.fixture
def management_api() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeManagementApi)
    server.calls = []  # type: ignore[attr-defined]
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield server
    server.shutdown()
    serving.join()


def test_setup_puts_each_role_user_and_its_permissions_through_the_management_api(
    management_api: ThreadingHTTPServer,
) -> None:
    admin_url = f"http://admin:s3cr%40t@127.0.0.1:{management_api.server_port}"
    routes = bootstrap.topology(Settings.from_env({}))

    make_role_users(routes, ROLE_URLS, "amqp://guest:guest@broker:5672/payflow", admin_url)

    calls: list[tuple[str, str, dict[str, str]]] = management_api.calls  # type: ignore[attr-defined]
    assert {auth for _, auth, _ in calls} == {f"Basic {base64.b64encode(b'admin:s3cr@t').decode()}"}
    assert [(path, body) for path, _, body in calls] == [
        ("/api/users/pf-gateway", {"password": "gw/pass", "tags": ""}),
        (
            "/api/permissions/payflow/pf-gateway",
            {"configure": "^$", "write": r"^(gateway\.events)$", "read": "^$"},
        ),
        (
            "/api/topic-permissions/payflow/pf-gateway",
            {"exchange": "gateway.events", "write": r"^(order\.cancelled|order\.created)$", "read": "^$"},
        ),
        ("/api/users/pf-orders", {"password": "op", "tags": ""}),
        (
            "/api/permissions/payflow/pf-orders",
            {
                "configure": "^$",
                "write": r"^(amq\.default|payflow\.dead\-letters)$",
                "read": r"^(orders\.inbox)$",
            },
        ),
    ]
