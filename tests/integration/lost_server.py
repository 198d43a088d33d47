"""Run inside a network namespace of its own (`unshare --net`): a gateway and a statement of its own on the
tests' own PostgreSQL, then the namespace's loopback taken down, which drops every packet between them
as a dead host or a broken network would. Prints what each got, and after how long, as one JSON line."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import sqlalchemy as sa

from app.bootstrap import build_gateway
from app.config import Settings
from app.persistence import build_engine, is_transient
from app.persistence.migrations import upgrade_all
from app.persistence.roles import secure_database
from app.process_roles import process_roles
from tests.support.own_postgres import own_postgres
from tests.support.services import fresh_database
from tests.support.waiting import wait_until

DEAD_AFTER_S = 3
GIVE_UP_S = 40.0  # far past every bound the test sets: an outcome still pending by then hung
SLOW_S = 3 * DEAD_AFTER_S  # a statement this slow on a sound network must not be taken for a lost server


def loopback(state: str) -> None:
    subprocess.run(["ip", "link", "set", "lo", state], check=True)


def timed(call: Callable[[], Any]) -> Callable[[], dict[str, Any]]:
    """`call` made a report: what it returned or raised, and after how many seconds."""

    def run() -> dict[str, Any]:
        started = time.monotonic()
        try:
            outcome: dict[str, Any] = {"returned": call()}
        except sa.exc.SQLAlchemyError as exc:
            outcome = {"raised": type(exc).__name__, "transient": is_transient(exc)}
        return outcome | {"seconds": round(time.monotonic() - started, 2)}

    return run


def sleep(engine: sa.Engine, seconds: float) -> bool:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_sleep(:s)"), {"s": seconds})
        return True


def sleeping(engine: sa.Engine) -> bool:
    """True once a `pg_sleep` statement runs on the server."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
    with engine.connect() as conn:
        return bool(conn.execute(sa.text(query)).scalar_one())


def report(future: Future[dict[str, Any]]) -> dict[str, Any]:
    return future.result() if future.done() else {"hung": True}


def main() -> None:
    loopback("up")
    with own_postgres() as cluster, fresh_database("payflow_lost", cluster.admin_url) as url:
        owner = build_engine(url, application_name="payflow-tests", dead_after_s=DEAD_AFTER_S)
        upgrade_all(owner)
        env = {"PAYFLOW_DATABASE_URL": url, "PAYFLOW_BROKER_URL": "memory://", "PAYFLOW_LOG_FORMAT": "text"}
        settings = Settings.from_env(env | {"PAYFLOW_DB_DEAD_AFTER_S": str(DEAD_AFTER_S)})
        secure_database(owner, process_roles(settings))
        client = build_gateway(settings).app.test_client()
        order = {"userId": str(uuid.uuid4()), "total": 10}
        first = client.post("/api/orders", json=order).get_json()["orderId"]
        slow = timed(lambda: sleep(owner, SLOW_S))()
        with ThreadPoolExecutor(3) as pool:
            in_flight = pool.submit(timed(lambda: sleep(owner, GIVE_UP_S)))
            wait_until(lambda: sleeping(owner), timeout=10, what="the statement to reach the server")
            loopback("down")
            post = pool.submit(timed(lambda: client.post("/api/orders", json=order).status_code))
            # The POST took the pooled connection: the GET opens a new one.
            get = pool.submit(timed(lambda: client.get(f"/api/orders/{first}").status_code))
            wait([in_flight, post, get], timeout=GIVE_UP_S)
            loopback("up")  # lets anything still waiting end, and the cleanup reach the server
            outcomes = {"in_flight": report(in_flight), "post": report(post), "get": report(get)}
        owner.dispose()
    print(json.dumps({"slow_on_a_sound_network": slow, **outcomes}))  # noqa: T201 - the test reads it


if __name__ == "__main__":
    main()
