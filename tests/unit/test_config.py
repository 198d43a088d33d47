"""Settings come from the environment with working defaults, and bad values name their variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import SETTINGS, ConfigError, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_default_that_parses() -> None:
    settings = Settings.from_env({})

    assert settings.http_bind == "0.0.0.0:3000"
    assert settings.payment_latency_ms == 1500
    assert settings.retry_delays_ms == (250, 1000, 5000, 30000)
    assert (settings.batch_size, settings.batch_wait_ms) == (200, 2)


def test_each_setting_is_read_from_payflow_and_its_name_in_capitals() -> None:
    settings = Settings.from_env({"PAYFLOW_READ_TIMEOUT_MS": "750", "PAYFLOW_ORDERS_METRICS_PORT": "0"})

    assert (settings.read_timeout_ms, settings.orders_metrics_port) == (750, 0)
    assert SETTINGS["read_timeout_ms"].env == "PAYFLOW_READ_TIMEOUT_MS"


def test_a_process_database_url_is_optional_and_trimmed() -> None:
    url = "postgresql+psycopg2://payflow_orders:pw@db/payflow"

    settings = Settings.from_env({"PAYFLOW_ORDERS_DATABASE_URL": f"  {url} "})

    assert settings.orders_database_url == url
    assert Settings.from_env({}).gateway_database_url == ""


def test_a_value_from_the_environment_overrides_the_default() -> None:
    settings = Settings.from_env({"PAYFLOW_PAYMENT_DECLINE_RATE": "0.5", "PAYFLOW_HTTP_WORKERS": "4"})

    assert settings.payment_decline_rate == 0.5
    assert settings.http_workers == 4


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PAYFLOW_HTTP_WORKERS", "zero"),
        ("PAYFLOW_HTTP_WORKERS", "0"),
        ("PAYFLOW_PAYMENT_DECLINE_RATE", "1.5"),
        ("PAYFLOW_LOG_FORMAT", "xml"),
        ("PAYFLOW_RETRY_DELAYS_MS", "1000,10"),
        ("PAYFLOW_DATABASE_URL", " "),
        ("PAYFLOW_BATCH_SIZE", "0"),
        ("PAYFLOW_BATCH_SIZE", "10001"),  # two batches would pass what AMQP's prefetch count can hold
        ("PAYFLOW_BATCH_WAIT_MS", "-1"),
        ("PAYFLOW_PAYMENTS_CONCURRENCY", "0"),
        ("PAYFLOW_PAYMENTS_CONCURRENCY", "65536"),  # past what AMQP's prefetch count can hold
        ("PAYFLOW_ORDERS_METRICS_PORT", "70000"),
        ("PAYFLOW_RETRY_DELAYS_MS", ""),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(variable)):
        Settings.from_env({variable: value})


def test_keyword_overrides_win_over_the_environment() -> None:
    settings = Settings.from_env({"PAYFLOW_BATCH_SIZE": "50"}, batch_size=7, broker_url="memory://")

    assert (settings.batch_size, settings.broker_url) == (7, "memory://")


def test_a_batch_may_close_without_waiting() -> None:
    settings = Settings.from_env({"PAYFLOW_BATCH_WAIT_MS": "0", "PAYFLOW_BATCH_SIZE": "1"})

    assert (settings.batch_size, settings.batch_wait_ms) == (1, 0)


def test_the_readme_documents_every_setting_with_its_default() -> None:
    readme = README.read_text()

    for spec in SETTINGS.values():
        assert f"| `{spec.env}` | `{spec.default}` |" in readme, spec.env


def test_the_readme_settings_table_names_no_setting_that_does_not_exist() -> None:
    documented = set(re.findall(r"^\| `(PAYFLOW_[A-Z0-9_]+)` \|", README.read_text(), re.MULTILINE))

    stale = documented - {spec.env for spec in SETTINGS.values()}

    assert documented
    assert stale == set()


def test_api_key_hashes_are_a_comma_separated_list_of_sha256_digests() -> None:
    first, second = "sha256:" + "a" * 64, "sha256:" + "B" * 64

    settings = Settings.from_env({"PAYFLOW_API_KEY_HASHES": f"{first}, {second}"})

    assert settings.api_key_hashes == (first, second.lower())
    assert Settings.from_env({}).api_key_hashes == ()


@pytest.mark.parametrize("value", ["plain-key", "sha256:abc", "md5:" + "a" * 32])
def test_an_api_key_hash_that_is_not_a_sha256_digest_stops_start_up(value: str) -> None:
    with pytest.raises(ConfigError, match="PAYFLOW_API_KEY_HASHES"):
        Settings.from_env({"PAYFLOW_API_KEY_HASHES": value})


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PAYFLOW_API_KEY_HASHES", "raw-api-key-s3cr3t"), ("PAYFLOW_DATABASE_URL", "   ")],
)
def test_a_bad_secret_setting_is_named_but_its_value_never_shown(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({variable: value})

    assert variable in str(raised.value)
    assert "s3cr3t" not in str(raised.value)
    assert "hidden" in str(raised.value)
