"""Fakes of what the settler touches: a delivered message and a confirming publisher, both journaled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.bus.publisher import PublishNotConfirmed


class FakeMessage:
    """A delivered message that writes its ack into the shared journal."""

    def __init__(
        self,
        journal: list[str],
        name: str,
        headers: Mapping[str, Any] | None = None,
        body: bytes | None = None,
    ) -> None:
        self.journal, self.name = journal, name
        self.body = f'{{"name": "{name}"}}'.encode() if body is None else body
        self.headers = dict(headers or {})
        self.properties = {"message_id": name, "correlation_id": f"corr-{name}"}
        self.delivery_info = {"exchange": "gateway.events", "routing_key": "order.created"}

    def ack(self, multiple: bool = False) -> None:
        self.journal.append(f"ack {'up to ' if multiple else ''}{self.name}")


class FakePublisher:
    """Writes each copy and each confirm into the shared journal; `refuse` makes the confirm fail."""

    def __init__(self, journal: list[str], refuse: bool = False) -> None:
        self.journal, self.refuse = journal, refuse
        self.copies: list[dict[str, Any]] = []

    def publish(self, body: bytes, **options: Any) -> None:
        self.copies.append({"body": body, **options})
        self.journal.append(f"copy to {options['routing_key']}")

    def confirm(self) -> None:
        self.journal.append("confirm")
        if self.refuse:
            raise PublishNotConfirmed("the broker refused (nacked) a message")
