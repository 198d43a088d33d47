"""Recognising broker failures outside app.bus, so callers can report them without importing kombu or amqp."""

from __future__ import annotations

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError

# Unreachable broker (kombu gives up connecting), a refused operation such as a passive declare of a
# missing queue (AMQPError), or the socket failing underneath either.
BROKER_FAILURES: tuple[type[Exception], ...] = (OperationalError, AMQPError, OSError)
