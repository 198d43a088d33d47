"""PostgreSQL plumbing every module shares: engines, outbox and inbox tables, transient-error detection."""

from app.persistence.engine import autocommit_connection, build_engine, redact_url
from app.persistence.errors import is_transient, is_unavailable
from app.persistence.inbox import claim_event, claim_statement, inbox_table
from app.persistence.outbox import (
    append_events,
    event_params,
    events_appended_after,
    notify_channel,
    outbox_table,
    relay_wakeup,
)
from app.persistence.prepared import Prepared
from app.persistence.transaction import SqlTransaction

__all__ = [
    "Prepared",
    "SqlTransaction",
    "append_events",
    "autocommit_connection",
    "build_engine",
    "claim_event",
    "claim_statement",
    "event_params",
    "events_appended_after",
    "inbox_table",
    "is_transient",
    "is_unavailable",
    "notify_channel",
    "outbox_table",
    "redact_url",
    "relay_wakeup",
]
