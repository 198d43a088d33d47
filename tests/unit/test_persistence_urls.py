"""Database URLs: a bare postgresql:// uses the installed driver, and passwords never show."""

from __future__ import annotations

from app.persistence.engine import normalize_url, redact_url


def test_a_bare_postgresql_url_gets_the_installed_psycopg2_driver() -> None:
    assert normalize_url("postgresql://u:p@db:5432/payflow") == "postgresql+psycopg2://u:p@db:5432/payflow"
    assert normalize_url("postgres://db/payflow") == "postgresql+psycopg2://db/payflow"


def test_an_explicit_driver_is_kept() -> None:
    assert normalize_url("postgresql+psycopg2://db/payflow") == "postgresql+psycopg2://db/payflow"


def test_a_redacted_url_hides_only_the_password() -> None:
    assert redact_url("amqp://guest:s3cret@broker:5672//") == "amqp://guest:***@broker:5672//"
