"""Settings read once from the environment into a frozen object, with working local defaults."""

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from app.config.broker_nodes import broker_nodes, optional_broker_nodes
from app.config.setting import ConfigError, Setting
from app.config.setting import variable as _variable

N = TypeVar("N", int, float)


# Parsers of setting values: each returns the value or raises ValueError saying what it must be.
def bounded(kind: Callable[[str], N], low: float, high: float, must: str) -> Callable[[str], N]:
    """A parser of a number of `kind` between `low` and `high`, inclusive; `must` says so when not."""

    def parse(raw: str) -> N:
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(must)
        return value

    return parse


positive_int = bounded(int, 1, math.inf, "must be a positive integer")
non_negative_int = bounded(int, 0, math.inf, "must be zero or a positive integer")
rate = bounded(float, 0.0, 1.0, "must be a number between 0 and 1")
port = bounded(int, 0, 65535, "must be a TCP port between 0 and 65535 (0 disables)")


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw.lower()

    return parse


def delays(raw: str) -> tuple[int, ...]:
    values = tuple(positive_int(part.strip()) for part in raw.split(","))
    if list(values) != sorted(values):
        raise ValueError("must be a comma-separated, non-decreasing list of milliseconds")
    return values


def text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def address(raw: str) -> tuple[str, int]:
    host, colon, number = raw.strip().rpartition(":")
    if not colon or not host:
        raise ValueError("must be host:port, for example 127.0.0.1:9100 (port 0 disables)")
    return host.strip("[]"), port(number)


def key_hashes(raw: str) -> tuple[str, ...]:
    hashes = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes):
        raise ValueError("must be a comma-separated list of sha256:<64 hex digits> (see `payflow hash-key`)")
    return hashes


@dataclass(frozen=True)
class Settings:
    """Every knob of the system, one environment variable each; build it with `Settings.from_env`."""

    database_url: str = _variable("postgresql+psycopg2://postgres@127.0.0.1:5432/payflow", text, secret=True)
    broker_url: str = _variable("amqp://guest:guest@127.0.0.1:5672//", broker_nodes, secret=True)
    http_bind: str = _variable("0.0.0.0:3000", text)
    http_workers: int = _variable("2", positive_int)
    http_threads: int = _variable("8", positive_int)
    log_level: str = _variable("info", choice("debug", "info", "warning", "error"))
    log_format: str = _variable("auto", choice("auto", "json", "text"))
    payment_latency_ms: int = _variable("1500", non_negative_int)
    payment_decline_rate: float = _variable("0.2", rate)
    payment_failure_rate: float = _variable("0.05", rate)
    payment_deadline_s: int = _variable("120", positive_int)
    batch_size: int = _variable("200", bounded(int, 1, 10000, "must be between 1 and 10000"))  # prefetch 2x
    batch_wait_ms: int = _variable("2", non_negative_int)
    payments_concurrency: int = _variable("2048", bounded(int, 1, 65535, "must be between 1 and 65535"))
    max_attempts: int = _variable("5", positive_int)
    retry_delays_ms: tuple[int, ...] = _variable("250,1000,5000,30000", delays)
    outbox_retention_h: int = _variable("168", positive_int)
    idempotency_ttl_h: int = _variable("24", positive_int)
    read_timeout_ms: int = _variable("2000", positive_int)
    max_page_offset: int = _variable("10000", non_negative_int)
    db_connect_timeout_s: int = _variable("2", positive_int)
    db_dead_after_s: int = _variable("10", positive_int)  # a server silent this long is lost (engine.py)
    worker_statement_timeout_ms: int = _variable("30000", positive_int)
    # Workers yield the CPU to the gateway: its answers wait on a client, their deliveries wait in a queue.
    worker_nice: int = _variable("10", bounded(int, 0, 19, "must be a niceness between 0 and 19"))
    # Empty: the database's name, so each database has roles of its own (payflow -> payflow_orders, ...).
    database_role_prefix: str = _variable("", str.strip)
    # "dedicated": the cluster is ours alone, so setup closes its other databases to every role but the owner.
    database_cluster: str = _variable("shared", choice("shared", "dedicated"))
    processes_per_role: int = _variable("1", positive_int)  # most processes of one role at once: sizes limits
    metrics_bind: tuple[str, int] = _variable("127.0.0.1:9100", address)  # the gateway's /metrics, not public
    worker_http_host: str = _variable("127.0.0.1", text)  # the workers' /metrics and /health ports
    orders_metrics_port: int = _variable("9101", port)
    payments_metrics_port: int = _variable("9102", port)
    api_key_hashes: tuple[str, ...] = _variable("", key_hashes, secret=True)
    # Empty: each process uses PAYFLOW_DATABASE_URL with its own role as the user.
    gateway_database_url: str = _variable("", str.strip, secret=True)
    orders_database_url: str = _variable("", str.strip, secret=True)
    payments_database_url: str = _variable("", str.strip, secret=True)
    watchdog_database_url: str = _variable("", str.strip, secret=True)  # `payflow watchdog`'s, as above
    watchdog_interval_ms: int = _variable("1000", positive_int)  # between its passes over the sessions
    gateway_broker_url: str = _variable("", optional_broker_nodes, secret=True)  # empty: PAYFLOW_BROKER_URL
    orders_broker_url: str = _variable("", optional_broker_nodes, secret=True)
    payments_broker_url: str = _variable("", optional_broker_nodes, secret=True)
    broker_admin_url: str = _variable("", str.strip, secret=True)  # empty: setup uses rabbitmqctl
    # Empty: the GET routes read from the primary. Else from this streaming replica, as the gateway's role.
    read_database_url: str = _variable("", str.strip, secret=True)
    gateway_read_database_url: str = _variable("", str.strip, secret=True)  # empty: as the line above
    read_max_lag_s: int = _variable("30", positive_int)  # a replica further behind: reads go to the primary

    @property
    def events_kept_h(self) -> int:
        """How long an event may be sent again: gateway commands are kept while their idempotency key must
        be, and their event may be re-published; the inboxes remember what they applied as long."""
        return max(self.outbox_retention_h, self.idempotency_ttl_h)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Parse every setting (keyword overrides win); a bad value raises ConfigError naming the variable."""
        env = os.environ if environ is None else environ
        return cls(**({name: spec.read(env) for name, spec in SETTINGS.items()} | overrides))


SETTINGS: dict[str, Setting] = {
    field.name: Setting(f"PAYFLOW_{field.name.upper()}", **field.metadata)
    for field in dataclasses.fields(Settings)
}
