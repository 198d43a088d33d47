"""Settings read once from the environment into a frozen object, with working local defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A setting in the environment has a value the system cannot run with."""


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _rate(raw: str) -> float:
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be a number between 0 and 1")
    return value


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw.lower()

    return parse


def _delays(raw: str) -> tuple[int, ...]:
    values = tuple(_positive_int(part.strip()) for part in raw.split(","))
    if not values or list(values) != sorted(values):
        raise ValueError("must be a comma-separated, non-decreasing list of milliseconds")
    return values


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a TCP port between 0 and 65535 (0 disables)")
    return value


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def _key_hashes(raw: str) -> tuple[str, ...]:
    hashes = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes):
        raise ValueError("must be a comma-separated list of sha256:<64 hex digits> (see `payflow hash-key`)")
    return hashes


def _optional_url(raw: str) -> str:
    return raw.strip()


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default, parser and meaning (the README table)."""

    env: str
    default: str
    parse: Callable[[str], Any]
    help: str
    secret: bool = False  # never echo the value in an error: it may hold a password or a raw key


SETTINGS: dict[str, Setting] = {
    "database_url": Setting(
        "PAYFLOW_DATABASE_URL",
        "postgresql+psycopg2://postgres@127.0.0.1:5432/payflow",
        _text,
        "PostgreSQL URL; the database is created by `payflow setup` when missing.",
        secret=True,
    ),
    "broker_url": Setting(
        "PAYFLOW_BROKER_URL",
        "amqp://guest:guest@127.0.0.1:5672//",
        _text,
        "RabbitMQ URL (vhost included).",
        secret=True,
    ),
    "http_bind": Setting("PAYFLOW_HTTP_BIND", "0.0.0.0:3000", _text, "Address gunicorn listens on."),
    "http_workers": Setting("PAYFLOW_HTTP_WORKERS", "2", _positive_int, "Gunicorn worker processes."),
    "http_threads": Setting("PAYFLOW_HTTP_THREADS", "8", _positive_int, "Threads per gunicorn worker."),
    "log_level": Setting(
        "PAYFLOW_LOG_LEVEL", "info", _choice("debug", "info", "warning", "error"), "Lowest level logged."
    ),
    "log_format": Setting(
        "PAYFLOW_LOG_FORMAT",
        "auto",
        _choice("auto", "json", "text"),
        "`json` one object per line; `text` human-readable; `auto` text on a terminal, else json.",
    ),
    "payment_latency_ms": Setting(
        "PAYFLOW_PAYMENT_LATENCY_MS", "1500", _non_negative_int, "Simulated gateway response time."
    ),
    "payment_decline_rate": Setting(
        "PAYFLOW_PAYMENT_DECLINE_RATE",
        "0.2",
        _rate,
        "Share of ordinary amounts the simulated gateway declines.",
    ),
    "payment_failure_rate": Setting(
        "PAYFLOW_PAYMENT_FAILURE_RATE",
        "0.05",
        _rate,
        "Share of ordinary amounts that fail with a technical error.",
    ),
    "payment_deadline_s": Setting(
        "PAYFLOW_PAYMENT_DEADLINE_S",
        "120",
        _positive_int,
        "A payment still PROCESSING after this long is released at the provider and failed with reason "
        "`gateway_timeout`; keep it above the longest retry delay plus 30 s (a worker's connection wait).",
    ),
    "orders_concurrency": Setting(
        "PAYFLOW_ORDERS_CONCURRENCY", "8", _positive_int, "Messages an orders worker handles at once."
    ),
    "payments_concurrency": Setting(
        "PAYFLOW_PAYMENTS_CONCURRENCY",
        "512",
        _positive_int,
        "Messages a payments worker handles at once (payments wait on the gateway concurrently).",
    ),
    "max_attempts": Setting(
        "PAYFLOW_MAX_ATTEMPTS", "5", _positive_int, "Attempts before a failing message is dead-lettered."
    ),
    "retry_delays_ms": Setting(
        "PAYFLOW_RETRY_DELAYS_MS",
        "250,1000,5000,30000",
        _delays,
        "Back-off before each retry; the last applies to every later attempt.",
    ),
    "outbox_retention_h": Setting(
        "PAYFLOW_OUTBOX_RETENTION_H", "168", _positive_int, "Published events kept for re-publishing."
    ),
    "idempotency_ttl_h": Setting(
        "PAYFLOW_IDEMPOTENCY_TTL_H", "24", _positive_int, "Idempotency keys kept at least this long."
    ),
    "read_timeout_ms": Setting(
        "PAYFLOW_READ_TIMEOUT_MS", "2000", _positive_int, "Statement timeout for the gateway's queries."
    ),
    "db_connect_timeout_s": Setting(
        "PAYFLOW_DB_CONNECT_TIMEOUT_S", "2", _positive_int, "How long to wait for PostgreSQL to accept."
    ),
    "orders_metrics_port": Setting(
        "PAYFLOW_ORDERS_METRICS_PORT",
        "9101",
        _port,
        "Orders worker's /metrics and /health port (0 disables; a second orders worker needs another).",
    ),
    "payments_metrics_port": Setting(
        "PAYFLOW_PAYMENTS_METRICS_PORT",
        "9102",
        _port,
        "Payments worker's /metrics and /health port (0 disables; a second payments worker needs another).",
    ),
    "api_key_hashes": Setting(
        "PAYFLOW_API_KEY_HASHES",
        "",
        _key_hashes,
        "Comma-separated `sha256:<hex>` digests of the API keys (several for rotation; `payflow hash-key`"
        " makes one). Empty: authentication is off (a loud warning at start-up).",
        secret=True,
    ),
    "gateway_database_url": Setting(
        "PAYFLOW_GATEWAY_DATABASE_URL",
        "",
        _optional_url,
        "URL the gateway connects with; empty: `PAYFLOW_DATABASE_URL` as role `payflow_gateway`.",
        secret=True,
    ),
    "orders_database_url": Setting(
        "PAYFLOW_ORDERS_DATABASE_URL",
        "",
        _optional_url,
        "URL the orders worker connects with; empty: `PAYFLOW_DATABASE_URL` as role `payflow_orders`.",
        secret=True,
    ),
    "payments_database_url": Setting(
        "PAYFLOW_PAYMENTS_DATABASE_URL",
        "",
        _optional_url,
        "URL the payments worker connects with; empty: `PAYFLOW_DATABASE_URL` as role `payflow_payments`.",
        secret=True,
    ),
}


@dataclass(frozen=True)
class Settings:
    """Every knob of the system; build it with `Settings.from_env`."""

    database_url: str
    broker_url: str
    http_bind: str
    http_workers: int
    http_threads: int
    log_level: str
    log_format: str
    payment_latency_ms: int
    payment_decline_rate: float
    payment_failure_rate: float
    payment_deadline_s: int
    orders_concurrency: int
    payments_concurrency: int
    max_attempts: int
    retry_delays_ms: tuple[int, ...]
    outbox_retention_h: int
    idempotency_ttl_h: int
    read_timeout_ms: int
    db_connect_timeout_s: int
    orders_metrics_port: int
    payments_metrics_port: int
    api_key_hashes: tuple[str, ...] = ()
    gateway_database_url: str = ""
    orders_database_url: str = ""
    payments_database_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Parse every setting; a bad value raises ConfigError naming the variable."""
        env = os.environ if environ is None else environ
        values = {name: _parse(spec, env) for name, spec in SETTINGS.items()}
        values.update(overrides)
        return cls(**values)


def _parse(spec: Setting, env: Mapping[str, str]) -> Any:
    raw = env.get(spec.env, spec.default)
    try:
        return spec.parse(raw)
    except ValueError as exc:
        reason = str(exc) if "must" in str(exc) else "is not a valid number"
        shown = "(value hidden)" if spec.secret else repr(raw)
        raise ConfigError(f"{spec.env}={shown} {reason}") from None
