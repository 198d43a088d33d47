"""Logging set-up: one line per event, JSON or text, always carrying the correlation, event and order ids."""

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

_CONTEXT: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039 - never mutated
CONTEXT_FIELDS = ("correlation_id", "event_id", "event_type", "order_id")
# scheme://user:password@ -> scheme://user:***@ (database and broker URLs, wherever they appear)
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@")
# Control characters (C0, DEL, C1) and Unicode's own line breaks, written as escapes in text logs; the
# backslash too, so an escape a client typed cannot pass for one the logger wrote.
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
_ESCAPES = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _CONTROLS}
_ESCAPES |= {ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def escape_controls(text: str) -> str:
    """One physical line whatever the text holds: `\\n`, `\\x1b`, ... instead of the characters."""
    return text.translate(_ESCAPES)


def redact_secrets(text: str) -> str:
    if "://" not in text:  # most lines: skip the regular expression (every log line passes here)
        return text
    return _URL_CREDENTIALS.sub(r"\g<head>:***@", text)


class log_context:  # noqa: N801 - used as a function: `with log_context(order_id=...):`
    """Attach ids to every log line emitted inside the block (and in code it calls). A plain class: the
    generator-based contextmanager cost a measurable share of a worker's CPU, once per message."""

    __slots__ = ("_token", "_values")

    def __init__(self, **values: object) -> None:
        self._values = values

    def __enter__(self) -> None:
        merged = dict(_CONTEXT.get())
        for name, value in self._values.items():
            if value is not None:
                merged[name] = value if isinstance(value, str) else str(value)
        self._token = _CONTEXT.set(merged)

    def __exit__(self, *exc_info: object) -> None:
        _CONTEXT.reset(self._token)


def _ids(record: logging.LogRecord) -> dict[str, object]:
    """The ids of the enclosing log_context blocks, else those passed as `extra=`, leaving out the unset."""
    context = _CONTEXT.get()
    found = ((name, context.get(name, getattr(record, name, None))) for name in CONTEXT_FIELDS)
    return {name: value for name, value in found if value}


class RedactingFilter(logging.Filter):
    """Renders the message (and any traceback) once and removes URL passwords from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_secrets(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_text:  # rendered and redacted by RedactingFilter
            line["error"] = record.exc_text
        return json.dumps(line)


class TextFormatter(logging.Formatter):
    """One line per record whatever a client put in it (a `%0a` in a path, say): the message and ids are
    escaped; a traceback keeps its lines, each indented so that none can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        # The first line without traceback or stack (they follow, indented), its message escaped.
        plain: dict[str, object] = dict.fromkeys(("args", "exc_info", "exc_text", "stack_info"))
        plain["msg"] = escape_controls(record.getMessage())
        base = super().format(logging.makeLogRecord(vars(record) | plain))
        extras = " ".join(f"{name}={escape_controls(str(value))}" for name, value in _ids(record).items())
        # The traceback as RedactingFilter rendered and redacted it (every handler of ours has it).
        trace = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else None)
        lines = [f"{base} {extras}".rstrip(), *_indented(trace), *_indented(record.stack_info)]
        return "\n".join(lines)


def _indented(text: str | None) -> list[str]:
    return [f"    {escape_controls(line)}" for line in (text or "").splitlines()]


def configure_logging(level: str, fmt: str, process: str) -> None:
    """Install the root handler once per process; `fmt` is json, text or auto (text on a terminal)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else TextFormatter(f"%(asctime)s %(levelname)s [{process}] %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("amqp", "kombu", "urllib3", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def route_gunicorn_logs() -> None:
    """Send gunicorn's own lines (boot, worker exits, signals) through the root handler, same format."""
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
