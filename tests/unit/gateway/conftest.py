"""A gateway app on fakes, and its test client."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.gateway import create_app
from tests.unit.gateway.fake_gateway import FakeGateway


@pytest.fixture
def fakes() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def app(fakes: FakeGateway) -> Flask:
    return create_app(fakes.deps())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
