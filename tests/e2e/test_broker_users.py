"""The real processes, each logged in to RabbitMQ as the user `payflow setup` made for its role, take an
order from its POST to PAID: least privilege on the broker leaves every role able to do its job."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.support.services import broker_users, fresh_database, fresh_vhost, role_broker_env
from tests.support.system import RunningSystem, system_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
SEED_USER = "d55fa6d6-63c2-4633-aeaf-ecf0c80fb48f"


@pytest.fixture(scope="module")
def system() -> Iterator[RunningSystem]:
    """gunicorn + both workers with a broker URL per role, set up by `payflow setup`."""
    with (
        fresh_database("payflow_e2e") as db,
        fresh_vhost("payflow-e2e") as vhost,
        broker_users(vhost, "payflow-e2e") as urls,
        tempfile.TemporaryDirectory() as logs,
    ):
        running = RunningSystem(system_env(db, vhost, **role_broker_env(urls)), Path(logs))
        running.setup()
        running.start_all()
        try:
            yield running
        finally:
            exit_codes = running.stop_all()
        assert exit_codes == {"gateway": 0, "orders": 0, "payments": 0}, exit_codes


def users_connected(vhost: str) -> set[str]:
    """The users of every connection the broker has open on `vhost`."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "user", "vhost", "--formatter", "json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {connection["user"] for connection in json.loads(listed.stdout) if connection["vhost"] == vhost}


def role_user(env: dict[str, str], role: str) -> str:
    return unquote(urlsplit(env[f"PAYFLOW_{role.upper()}_BROKER_URL"]).username or "")


def test_an_order_is_paid_by_processes_logged_in_as_their_own_broker_users(system: RunningSystem) -> None:
    vhost = unquote(urlsplit(system.env["PAYFLOW_BROKER_URL"]).path[1:])
    roles = {role_user(system.env, role) for role in ("gateway", "orders", "payments")}

    order_id = system.api.post("/orders", {"userId": SEED_USER, "total": 25.01}).body["orderId"]
    order = wait_until(lambda: paid(system, order_id), timeout=30, what=f"order {order_id} PAID")
    # Every connection on the vhost, relays' and consumers' alike, is one of the role users': none is guest.
    wait_until(lambda: users_connected(vhost) == roles, timeout=30, what="only the role users connected")

    assert (order["status"], system.api.get(f"/payments/order/{order_id}").body["status"]) == (
        "PAID",
        "APPROVED",
    )
    assert users_connected(vhost) == roles


def paid(system: RunningSystem, order_id: str) -> dict[str, str] | None:
    order = system.api.get(f"/orders/{order_id}").body
    return order if order.get("status") == "PAID" else None
