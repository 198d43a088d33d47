"""PostgreSQL plumbing every module shares: engines, outbox and inbox tables, transient-error detection."""

from app.persistence.engine import build_engine, redact_url
from app.persistence.errors import is_transient
from app.persistence.inbox import claim_event, inbox_table
from app.persistence.outbox import append_events, notify_channel, outbox_table
from app.persistence.transaction import SqlTransaction

__all__ = [
    "SqlTransaction",
    "append_events",
    "build_engine",
    "claim_event",
    "inbox_table",
    "is_transient",
    "notify_channel",
    "outbox_table",
    "redact_url",
]
