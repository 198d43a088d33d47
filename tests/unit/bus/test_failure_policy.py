"""Which failures are retried, for how long, and after which attempt a message is dead-lettered."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from app.bus.outcomes import Failure, classify, describe, retry_delay_ms, should_dead_letter
from app.contracts import ContractError, NotYetApplicable, UnknownEventType


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (ContractError("bad payload"), Failure.CONTRACT),
        (UnknownEventType("order.exploded"), Failure.CONTRACT),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), Failure.TRANSIENT),
        (ConnectionResetError("broker went away"), Failure.TRANSIENT),
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
    verdicts = {should_dead_letter(Failure.TRANSIENT, attempt, max_attempts=3) for attempt in range(1, 100)}

    assert verdicts == {False}


def test_attempt_limits_per_kind_of_failure() -> None:
    limits = {
        failure: next(a for a in range(1, 100) if should_dead_letter(failure, a, max_attempts=3))
        for failure in (Failure.CONTRACT, Failure.NOT_YET, Failure.BUG)
    }

    assert limits == {Failure.CONTRACT: 1, Failure.NOT_YET: 6, Failure.BUG: 3}


def test_retry_delays_grow_and_the_last_one_repeats() -> None:
    delays = [retry_delay_ms(attempt, (250, 1000, 5000)) for attempt in range(1, 6)]

    assert delays == [250, 1000, 5000, 5000, 5000]


def test_an_error_description_names_its_type_and_fits_a_header() -> None:
    text = describe(ValueError("x" * 5000))

    assert text.startswith("ValueError: xxx")
    assert len(text) == 1000
