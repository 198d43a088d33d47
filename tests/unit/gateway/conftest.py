"""The gateway as the composition root builds it, on fakes, and its test client."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import Settings
from tests.unit.gateway.fake_gateway import FakeGateway, unit_settings


@pytest.fixture
def fakes() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def settings() -> Settings:
    return unit_settings()


@pytest.fixture
def app(fakes: FakeGateway, settings: Settings) -> Flask:
    return fakes.build(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
