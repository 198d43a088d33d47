"""Through nginx, slow and idle clients cost normal clients nothing: the flood from issue 11, held."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.cli.proxy import ProxyLimits
from tests.support.figures import report
from tests.support.flood import flood, order_latencies, percentile_ms, still_open
from tests.support.http import Api
from tests.support.proxy import running_proxy
from tests.support.system import RunningSystem

IDLE, SLOW = 200, 200
CLIENTS, ORDERS_EACH = 4, 100
# What the flood did before nginx (issue 11): requests waited 5 to 20 s, until the slow clients gave up.
# A p99 bound of 200 ms proved to be this machine's noise (its quiet p99 alone reached 80-171 ms), so the
# bounds are a stall's: the median as without the flood, and no request near a second.
P99_LIMIT_MS = 1000.0
MEDIAN_SLACK_MS = 10.0
# The flood is about held connections, not request rates: limits high enough for the normal clients,
# who all come from 127.0.0.1 without a key.
GENEROUS = ProxyLimits(rate="10000r/s", burst=10000, connections=256, address_rate="10000r/s")


@pytest.fixture(scope="module")
def proxy(system: RunningSystem) -> Iterator[str]:
    with running_proxy(system.env["PAYFLOW_HTTP_BIND"], GENEROUS) as address:
        yield address


def test_normal_clients_are_not_held_up_while_400_slow_and_idle_connections_are_held(
    proxy: str,
) -> None:
    api = Api(f"http://{proxy}/api")
    order_latencies(api, CLIENTS, 10)  # warm up: gunicorn workers, connection pools, nginx keep-alive
    quiet = order_latencies(api, CLIENTS, ORDERS_EACH)

    with flood(proxy, IDLE, SLOW) as held:
        flooded = order_latencies(api, CLIENTS, ORDERS_EACH)
        still_held = sum(still_open(sock) for sock in held)

    figures = (
        f"proxy flood: {CLIENTS} clients x {ORDERS_EACH} POST /api/orders through nginx; "
        f"p50/p99 without flood {percentile_ms(quiet, 0.5):.1f}/{percentile_ms(quiet, 0.99):.1f} ms, "
        f"with {IDLE} idle + {SLOW} slow-header connections held "
        f"{percentile_ms(flooded, 0.5):.1f}/{percentile_ms(flooded, 0.99):.1f} ms "
        f"({still_held} of {IDLE + SLOW} still held at the end)"
    )
    report(figures)
    assert still_held == IDLE + SLOW, figures
    assert percentile_ms(flooded, 0.5) < 2 * percentile_ms(quiet, 0.5) + MEDIAN_SLACK_MS, figures
    assert percentile_ms(flooded, 0.99) < P99_LIMIT_MS, figures
