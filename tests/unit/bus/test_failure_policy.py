"""Which failures are retried, for how long, and after which attempt a message is dead-lettered."""

from __future__ import annotations

import pytest
from amqp.exceptions import ConnectionForced
from kombu.exceptions import OperationalError as BrokerUnreachable
from sqlalchemy.exc import OperationalError

from app.bus.batches import Failure, classify
from app.bus.settlement import RetryPolicy, describe
from app.contracts import ContractError, NotYetApplicable, UnknownEventType


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (ContractError("bad payload"), Failure.CONTRACT),
        (UnknownEventType("order.exploded"), Failure.CONTRACT),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), Failure.TRANSIENT),
        (ConnectionResetError("broker went away"), Failure.TRANSIENT),
        (ConnectionForced("broker closed the connection"), Failure.TRANSIENT),
        (BrokerUnreachable("cannot connect to the broker"), Failure.TRANSIENT),
        (NotYetApplicable("order not stored yet"), Failure.NOT_YET),
        (KeyError("total"), Failure.BUG),
        (FileNotFoundError("no such file"), Failure.BUG),
        (PermissionError("denied"), Failure.BUG),
    ],
)
def test_each_kind_of_error_is_classified(error: Exception, failure: Failure) -> None:
    classified = classify(error)

    assert classified is failure


def test_a_transient_failure_is_never_dead_lettered_however_many_attempts() -> None:
    policy = RetryPolicy("q", max_attempts=3, retry_delays_ms=(1,))

    verdicts = {policy.gives_up(Failure.TRANSIENT, attempt) for attempt in range(1, 100)}

    assert verdicts == {False}


def test_attempt_limits_per_kind_of_failure() -> None:
    limits = {
        failure: next(a for a in range(1, 100) if RetryPolicy("q", 3, (1,)).gives_up(failure, a))
        for failure in (Failure.CONTRACT, Failure.NOT_YET, Failure.BUG)
    }

    assert limits == {Failure.CONTRACT: 1, Failure.NOT_YET: 6, Failure.BUG: 3}


def test_retry_delays_grow_and_the_last_one_repeats() -> None:
    delays = [RetryPolicy("q", 5, (250, 1000, 5000)).delay_ms(attempt) for attempt in range(1, 6)]

    assert delays == [250, 1000, 5000, 5000, 5000]


def test_an_error_description_names_its_type_and_fits_a_header() -> None:
    text = describe(ValueError("x" * 5000))

    assert text.startswith("ValueError: xxx")
    assert len(text) == 1000
