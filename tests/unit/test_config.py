"""Settings come from the environment with working defaults, and bad values name their variable."""

from __future__ import annotations

import dataclasses
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


def test_settings_and_their_specs_name_the_same_fields() -> None:
    assert {f.name for f in dataclasses.fields(Settings)} == set(SETTINGS)


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
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(variable)):
        Settings.from_env({variable: value})


def test_the_readme_documents_every_setting_with_its_default() -> None:
    readme = README.read_text()

    for spec in SETTINGS.values():
        assert f"| `{spec.env}` | `{spec.default}` |" in readme, spec.env


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
