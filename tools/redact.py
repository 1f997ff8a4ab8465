"""Keeps the API key out of everything the server produces: errors, logs, exception text."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter is no key, and masking it would mangle ordinary text
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_secrets: set[str] = set()

# The Telnyx key an HTTP client sent with the request being served (server/http.py). TelnyxClient calls with
# it, and it is masked like a registered secret for as long as the request lasts, without being remembered
# after: a shared server meets many keys.
request_api_key: ContextVar[str | None] = ContextVar("request_api_key", default=None)


def register_secret(secret: str | None) -> None:
    """Remember a secret so every later `redact` call masks it."""
    if secret and len(secret.strip()) >= MIN_SECRET_LENGTH:
        _secrets.add(secret.strip())


def _active_secrets() -> Iterable[str]:
    key = (request_api_key.get() or "").strip()
    return (*_secrets, key) if len(key) >= MIN_SECRET_LENGTH else _secrets


def redact(text: str) -> str:
    for secret in _active_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return _BEARER.sub(r"\g<1>" + MASK, text)


def holds_secret(raw: bytes) -> bool:
    return any(secret.encode() in raw for secret in _active_secrets())


def redact_value(value: Any) -> Any:
    """`redact` applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (arguments and traceback included) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        return True


def secure_logging() -> None:
    """Mask secrets on every root handler and keep the HTTP libraries' request/header chatter out of the logs."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for name in ("httpx", "httpcore", "hpack"):
        logging.getLogger(name).setLevel(logging.WARNING)
