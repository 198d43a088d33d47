"""PostgreSQL plumbing every module shares: engines, transactions, batch statements, inbox and outbox."""

from app.persistence.deadlines import StatementDeadlines
from app.persistence.engine import (
    Connects,
    build_engine,
    database_problem,
    read_one,
    read_with_retry,
    redact_url,
)
from app.persistence.errors import is_statement_timeout, is_transient, is_unavailable
from app.persistence.history import Change, read_history
from app.persistence.messages import (
    append_events,
    batch_of,
    claim_events,
    in_array,
    inbox_table,
    outbox_table,
    purge_claims,
    purge_older,
)
from app.persistence.pages import Page, Position, newest_first, page_parameters, read_page
from app.persistence.replica import ReadRouter
from app.persistence.transaction import SqlTransaction
