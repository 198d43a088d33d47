"""A database server lost without a word (its host down, or a network that drops every packet) fails the
statements waiting on it within PAYFLOW_DB_DEAD_AFTER_S, instead of the kernel's 15 minutes of
retransmissions or two hours before a first keepalive; one only slow is left to finish. Run in a network
namespace of its own (tests/integration/lost_server.py) with the tests' own PostgreSQL, so taking its
loopback down drops nothing of the machine's."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.integration.lost_server import DEAD_AFTER_S, SLOW_S
from tests.support.system import ROOT

pytestmark = pytest.mark.integration
CONNECT_TIMEOUT_S = 2  # PAYFLOW_DB_CONNECT_TIMEOUT_S's default
# Cut once nothing was received for DEAD_AFTER_S while something waits for an acknowledgement (measured:
# 3.4 s); the rest is the retransmission timer's granularity and a loaded machine.
BOUND_S = DEAD_AFTER_S + 2
# A connection opened after the loss times out connecting, and a read tries twice (measured: 4.0 s).
NEW_CONNECTION_BOUND_S = 2 * CONNECT_TIMEOUT_S + 1.5


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    probe = ["unshare", "--net", "--", sys.executable, "-m", "tests.integration.lost_server"]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_statement_awaiting_its_answer_fails_as_a_transient_error_once_the_server_is_lost(
    outcomes: dict[str, Any],
) -> None:
    in_flight = outcomes["in_flight"]
    assert in_flight.get("transient") is True, in_flight
    assert in_flight["seconds"] < BOUND_S


def test_a_post_answers_503_within_the_bound_once_the_server_is_lost(outcomes: dict[str, Any]) -> None:
    post = outcomes["post"]
    assert post.get("returned") == 503, post
    assert post["seconds"] < BOUND_S


def test_a_get_that_must_connect_anew_answers_503_within_two_connect_timeouts(
    outcomes: dict[str, Any],
) -> None:
    get = outcomes["get"]
    assert get.get("returned") == 503, get
    assert get["seconds"] < NEW_CONNECTION_BOUND_S


def test_a_statement_slower_than_the_bound_finishes_on_a_sound_network(outcomes: dict[str, Any]) -> None:
    """The guard the other way: nothing here may cut a statement merely for being slow."""
    slow = outcomes["slow_on_a_sound_network"]
    assert slow.get("returned") is True, slow
    assert slow["seconds"] >= SLOW_S
