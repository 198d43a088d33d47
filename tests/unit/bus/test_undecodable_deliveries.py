"""Deliveries kombu cannot decode (a `compression` header it cannot undo) are dead-lettered, work goes on."""

from __future__ import annotations

import threading
import uuid
import zlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from kombu import compression

from app.bus import replay_dead_letters
from app.contracts import Incoming, OrderCreated
from tests.unit.bus.memory_broker import FakeBatchHandler, MemoryBroker

UNDOABLE = [
    ("application/x-bogus", "KeyError"),  # no such codec
    ("application/x-gzip", "error: Error -3"),  # zlib's complaint: the body is not compressed
]


def valid_message(correlation_id: str) -> str:
    return OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("5.00")).to_envelope(correlation_id).to_json()


class SignallingHandler(FakeBatchHandler):
    """Sets `applied_any` once a batch was applied, so a test can wait for the worker instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.applied_any = threading.Event()

    def __call__(self, batch: Sequence[Incoming[Any]]) -> frozenset[uuid.UUID]:
        waiting = super().__call__(batch)
        self.applied_any.set()
        return waiting


@pytest.mark.parametrize(("compression", "complaint"), UNDOABLE)
def test_a_delivery_whose_compression_cannot_be_undone_is_dead_lettered_at_once_and_the_next_is_applied(
    broker: MemoryBroker, compression: str, complaint: str
) -> None:
    handler = FakeBatchHandler()
    broker.publish(valid_message("corr-bad"), headers={"compression": compression})
    broker.publish(valid_message("corr-ok"))

    settled = broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)

    [dead] = broker.dead_letters()
    assert settled == 2
    assert dead.headers["x-error"].startswith(
        f"ContractError: cannot decode the delivery (compression header {compression!r})"
    )
    assert complaint in dead.headers["x-error"]
    assert dead.headers["x-attempts"] == 1
    assert [message.correlation_id for message in handler.applied] == ["corr-ok"]
    assert broker.waiting() == []
    assert broker.all_retried() == []


def test_the_worker_loop_keeps_running_past_a_delivery_it_cannot_decode(broker: MemoryBroker) -> None:
    handler = SignallingHandler()
    broker.publish(valid_message("corr-bad"), headers={"compression": "application/x-bogus"})
    broker.publish(valid_message("corr-ok"))
    consumer = broker.consumer({OrderCreated: handler})
    stop, ended = threading.Event(), list[BaseException]()

    def run() -> None:
        try:
            consumer.run(stop)
        except BaseException as exc:  # noqa: BLE001 - what would end the worker process
            ended.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    applied = handler.applied_any.wait(timeout=10)
    stop.set()
    worker.join(timeout=30)

    assert applied
    assert ended == []
    assert [message.correlation_id for message in handler.applied] == ["corr-ok"]
    assert len(broker.dead_letters()) == 1


def test_a_compressed_delivery_is_applied_and_its_retry_copy_comes_back_decodable(
    broker: MemoryBroker,
) -> None:
    envelope = OrderCreated(uuid.uuid4(), uuid.uuid4(), Decimal("5.00")).to_envelope("corr-zipped")
    handler = FakeBatchHandler(waiting=[envelope.id])
    broker.publish(zlib.compress(envelope.to_json().encode()), headers={"compression": "application/x-gzip"})
    consumer = broker.consumer({OrderCreated: handler})

    broker.run_attempts(consumer, rounds=1)  # waits for an earlier event: retried, body decompressed
    handler.waiting.clear()
    broker.run_attempts(consumer, rounds=1)

    assert handler.applied_ids == [envelope.id]
    assert broker.dead_letters() == []
    assert broker.waiting() == []


def test_a_delivery_dead_lettered_for_a_codec_this_worker_lacks_keeps_its_header_and_replays_once_installed(
    broker: MemoryBroker,
) -> None:
    codec, handler = (
        "application/x-test-deflate",
        FakeBatchHandler(),
    )  # stands in for zstd without its library
    broker.publish(zlib.compress(valid_message("corr-z").encode()), headers={"compression": codec})
    broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)
    [dead] = broker.dead_letters()
    broker.publish(
        dead.body, headers=dead.headers, message_id="m-1", routing_key=f"{broker.queue}.dead-letters"
    )
    compression.register(zlib.compress, zlib.decompress, codec)
    try:
        replayed = replay_dead_letters(broker.url, broker.queue)
        broker.consumer({OrderCreated: handler}).drain(idle_s=0.05)
    finally:
        compression._encoders.pop(codec, None)
        compression._decoders.pop(codec, None)

    assert dead.headers["compression"] == codec
    assert replayed == 1
    assert [message.correlation_id for message in handler.applied] == ["corr-z"]
    assert broker.dead_letters() == []
