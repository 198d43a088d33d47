"""Fault 6: malformed, unknown-type, invalid and never-applicable messages injected among valid ones."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.faults.conftest import Launch
from tests.faults.injection import dead_letters, publish
from tests.faults.load import LoadGenerator
from tests.faults.poison import Poison, poison_batch
from tests.faults.verdict import verify

pytestmark = pytest.mark.faults
ORDERS = 250
MAX_ATTEMPTS = 3


def expected_dead_letters(poisons: list[Poison]) -> Counter[tuple[str, str | None]]:
    return Counter((queue, poison.message.message_id) for poison in poisons for queue in poison.queues)


def test_poison_messages_end_in_the_dead_letter_queues_and_every_valid_order_settles(launch: Launch) -> None:
    stack = launch(PAYFLOW_MAX_ATTEMPTS=str(MAX_ATTEMPTS))
    poisons = poison_batch(MAX_ATTEMPTS) + poison_batch(MAX_ATTEMPTS)
    load = LoadGenerator(stack.system.api, ORDERS, rate=40).start()

    for batch, share in ((poisons[: len(poisons) // 2], 3), (poisons[len(poisons) // 2 :], 2)):
        load.wait_sent(ORDERS // share)
        publish(stack.broker_url, [poison.message for poison in batch])
    result = load.join()

    figures = verify(stack, "poison-messages", result, poison=expected_dead_letters(poisons))
    letters = {
        (queue, letter.message_id): letter
        for queue, found in dead_letters(stack.broker_url).items()
        for letter in found
    }
    for poison in poisons:
        for queue in poison.queues:
            letter = letters[(queue, poison.message.message_id)]
            assert poison.error in (letter.error or ""), (poison, letter)
            assert (letter.attempts, letter.original_routing_key) == (
                poison.attempts,
                poison.message.routing_key,
            ), letter
    assert figures.dead_lettered == sum(len(poison.queues) for poison in poisons)
