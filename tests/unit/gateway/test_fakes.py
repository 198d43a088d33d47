"""The doubles these tests build the gateway with offer exactly the calls of the interfaces they replace."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from app.gateway import CommandStore
from app.orders import OrderQueries
from app.payments import PaymentQueries
from tests.unit.gateway.fake_gateway import FakeCommandStore, FakeOrderQueries, FakePaymentQueries


def public_calls(kind: type) -> dict[str, list[tuple[str, Any, Any]]]:
    """Each public method's parameters: name, kind (positional, keyword-only...) and default."""
    methods = inspect.getmembers(kind, inspect.isfunction)
    return {
        name: [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]
        for name, method in methods
        if not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("fake", "real"),
    [
        (FakeOrderQueries, OrderQueries),
        (FakePaymentQueries, PaymentQueries),
        (FakeCommandStore, CommandStore),
    ],
)
def test_a_fake_has_every_method_of_its_interface_with_the_same_parameters(fake: type, real: type) -> None:
    expected = public_calls(real)

    offered = public_calls(fake)

    assert {name: offered.get(name) for name in expected} == expected
