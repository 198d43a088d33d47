"""Settings read once from the environment into a frozen object, with working local defaults."""

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from app.config.parsers import choice, delays, key_hashes, non_negative_int, port, positive_int, rate, text


class ConfigError(ValueError):
    """A setting in the environment has a value the system cannot run with."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default and parser (the README's table says what it means)."""

    env: str
    default: str
    parse: Callable[[str], Any]
    secret: bool = False  # never echo the value in an error: it may hold a password or a raw key

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.env, self.default)
        try:
            return self.parse(raw)
        except ValueError as exc:
            reason = str(exc) if "must" in str(exc) else "is not a valid number"
            shown = "(value hidden)" if self.secret else repr(raw)
            raise ConfigError(f"{self.env}={shown} {reason}") from None


def _variable(default: str, parse: Callable[[str], Any], *, secret: bool = False) -> Any:
    """A Settings field read from PAYFLOW_<FIELD NAME>, with its default and parser."""
    return dataclasses.field(metadata={"default": default, "parse": parse, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Every knob of the system, one environment variable each; build it with `Settings.from_env`."""

    database_url: str = _variable("postgresql+psycopg2://postgres@127.0.0.1:5432/payflow", text, secret=True)
    broker_url: str = _variable("amqp://guest:guest@127.0.0.1:5672//", text, secret=True)
    http_bind: str = _variable("0.0.0.0:3000", text)
    http_workers: int = _variable("2", positive_int)
    http_threads: int = _variable("8", positive_int)
    log_level: str = _variable("info", choice("debug", "info", "warning", "error"))
    log_format: str = _variable("auto", choice("auto", "json", "text"))
    payment_latency_ms: int = _variable("1500", non_negative_int)
    payment_decline_rate: float = _variable("0.2", rate)
    payment_failure_rate: float = _variable("0.05", rate)
    payment_deadline_s: int = _variable("120", positive_int)
    batch_size: int = _variable("200", positive_int)
    batch_wait_ms: int = _variable("2", non_negative_int)
    payments_concurrency: int = _variable("1024", positive_int)
    max_attempts: int = _variable("5", positive_int)
    retry_delays_ms: tuple[int, ...] = _variable("250,1000,5000,30000", delays)
    outbox_retention_h: int = _variable("168", positive_int)
    idempotency_ttl_h: int = _variable("24", positive_int)
    read_timeout_ms: int = _variable("2000", positive_int)
    db_connect_timeout_s: int = _variable("2", positive_int)
    orders_metrics_port: int = _variable("9101", port)
    payments_metrics_port: int = _variable("9102", port)
    api_key_hashes: tuple[str, ...] = _variable("", key_hashes, secret=True)
    # Empty: each process uses PAYFLOW_DATABASE_URL with its own role as the user.
    gateway_database_url: str = _variable("", str.strip, secret=True)
    orders_database_url: str = _variable("", str.strip, secret=True)
    payments_database_url: str = _variable("", str.strip, secret=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Parse every setting (keyword overrides win); a bad value raises ConfigError naming the variable."""
        env = os.environ if environ is None else environ
        return cls(**({name: spec.read(env) for name, spec in SETTINGS.items()} | overrides))


SETTINGS: dict[str, Setting] = {
    field.name: Setting(f"PAYFLOW_{field.name.upper()}", **field.metadata)
    for field in dataclasses.fields(Settings)
}
