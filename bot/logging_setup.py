"""Tavla's logs: one line per event, JSON when ``TAVLA_LOG_JSON`` is set, with the turn's ids, never secrets.

- Every record gets ``activity_id`` and ``conversation_id`` from a context variable that ``bot/http.py``
  sets for the request it is handling (``turn_ids``), so any module's log line inside a turn — the SDK's
  too — can be tied to the activity without passing ids around. Outside a turn both are ``None``.
- ``Redactor`` rewrites what would be written: ``Authorization`` header values, bearer tokens and JWTs,
  the app registration's secrets (``MicrosoftAppPassword``, the certificate password) wherever they
  appear — in the message, its arguments or a traceback. Tavla's own code logs ids, counts and lengths,
  never what a person wrote; this filter is the net under that rule (e.g. msrest logs request headers
  at DEBUG).
- ``setup_logging(settings)`` installs one handler on the root logger (stderr, where systemd's journal
  picks it up) and keeps the chattiest SDK loggers at WARNING unless the level is DEBUG.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Any

REDACTED = "[redacted]"

_TURN: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "tavla_turn_ids", default=(None, None))

# Things that must never reach a log, whatever logged them.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer x / 'Authorization': 'Bearer x' / "authorization": "Basic x"
    (re.compile(r"""(?i)(["']?(?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:bearer\s+|basic\s+)?[^"'\s,}]+"""),
     r"\1" + REDACTED),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*"), "Bearer " + REDACTED),
    # a JWT anywhere (header.payload.signature, base64url; the header always starts with eyJ)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # credentials in a URL: postgresql://tavla:secret@db/tavla
    (re.compile(r"(://[^:/?#\s@]+:)[^@/\s]+@"), r"\1" + REDACTED + "@"),
    # MicrosoftAppPassword=x, "app_password": "x", client_secret=x, password: x
    (re.compile(r"""(?i)((?:microsoft)?app_?password|client_secret|certificate_?password|passphrase|"""
                r"""password)(["']?\s*[:=]\s*["']?)[^"'\s,}&]+"""), r"\1\2" + REDACTED),
)


def turn_ids() -> tuple[str | None, str | None]:
    """(activity id, conversation id) of the turn being handled, or (None, None)."""
    return _TURN.get()


@contextmanager
def turn_context(activity_id: str | None, conversation_id: str | None) -> Iterator[None]:
    """Tag every log record made inside the block (in this task and tasks it starts) with these ids."""
    token = _TURN.set((activity_id, conversation_id))
    try:
        yield
    finally:
        _TURN.reset(token)


class TurnIds(logging.Filter):
    """Adds ``activity_id`` and ``conversation_id`` to every record (from the context variable)."""

    def filter(self, record: logging.LogRecord) -> bool:
        activity_id, conversation_id = _TURN.get()
        if not hasattr(record, "activity_id"):
            record.activity_id = activity_id
        if not hasattr(record, "conversation_id"):
            record.conversation_id = conversation_id
        return True


class Redactor(logging.Filter):
    """Replaces tokens, Authorization values and the configured secrets in the message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the turn's ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("activity_id", "conversation_id"):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2018-05-15 09:00:00,123 INFO tavla.bot [conversation a:1 activity 17…]: message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        activity_id = getattr(record, "activity_id", None)
        conversation_id = getattr(record, "conversation_id", None)
        parts = [f"conversation {conversation_id}" if conversation_id else "",
                 f"activity {activity_id}" if activity_id else ""]
        shown = " ".join(p for p in parts if p)
        record.ids = f" [{shown}]" if shown else ""
        return super().format(record)


QUIET_LOGGERS = ("msrest", "msal", "urllib3", "botframework", "botbuilder", "aiohttp.access")


def secrets_of(settings: Any) -> list[str]:
    """The configured secret values (pydantic ``SecretStr`` fields) to scrub from every line."""
    values = []
    for name in ("app_password", "app_certificate_password"):
        secret = getattr(settings, name, None)
        if secret is not None and hasattr(secret, "get_secret_value"):
            values.append(secret.get_secret_value())
    return values


def make_handler(settings: Any, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler with the turn ids, the redactor and the configured format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(TurnIds())
    handler.addFilter(Redactor(secrets_of(settings)))
    handler.setFormatter(JsonFormatter() if getattr(settings, "log_json", False) else TextFormatter())
    handler._tavla = True  # type: ignore[attr-defined]  # ours: replaced on the next setup
    return handler


def setup_logging(settings: Any, stream: IO[str] | None = None) -> logging.Handler:
    """Configure the root logger for a server or CLI process; calling it again replaces the handler."""
    level_name = str(getattr(settings, "log_level", "INFO") or "INFO").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        level = logging.INFO
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_tavla", False) or (
                type(existing) is logging.StreamHandler and existing.stream in (sys.stderr, sys.stdout)):
            root.removeHandler(existing)  # ours from before, or basicConfig's
    handler = make_handler(settings, stream)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING))
    return handler
