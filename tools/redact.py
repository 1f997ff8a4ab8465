"""Keeps secrets out of everything the server produces: results, errors, logs, audit lines.

The secrets are the server's Telnyx key, the key a caller sent with the request being served, the HTTP
access token and the confirmation secret. Not only a whole secret is masked: any run of FRAGMENT or more of
its characters is, so a secret cut in two (by a length limit here or upstream, or split across two fields)
or partly echoed ("KEY0195C4E3A5...") leaves nothing longer than FRAGMENT - 1 characters behind. Masking
runs before anything is cut to length.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter is no key, and masking it would mangle ordinary text
# Shorter runs are left alone: 8 characters of a random key almost never occur by chance in ids, ICCIDs or
# text (6 would, now and then, in a long list of UUIDs), and 7 characters of a 40-character key give little away.
FRAGMENT = 8
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')
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


def _runs(text: str, secret: str) -> list[tuple[int, int]]:
    """Where `text` holds FRAGMENT or more consecutive characters of `secret`: (start, end) pairs."""
    found: list[tuple[int, int]] = []
    for start in range(len(secret) - FRAGMENT + 1):
        piece = secret[start:start + FRAGMENT]
        at = text.find(piece)
        while at != -1:
            found.append((at, at + FRAGMENT))
            at = text.find(piece, at + 1)
    return found


def redact(text: str) -> str:
    """`text` with every secret, whole or in part (FRAGMENT characters or more), and every bearer credential masked."""
    if len(text) >= FRAGMENT:
        spans = sorted(span for secret in _active_secrets() for span in _runs(text, secret))
        if spans:
            merged = [list(spans[0])]
            for start, end in spans[1:]:
                if start <= merged[-1][1]:  # overlapping or touching pieces make one masked run
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            out, last = [], 0
            for start, end in merged:
                out += [text[last:start], MASK]
                last = end
            text = "".join(out) + text[last:]
    return _BEARER.sub(r"\g<1>" + MASK, text)


def holds_secret(raw: bytes) -> bool:
    """A quick look at a response body before it is parsed: does it hold any run of FRAGMENT characters of a
    secret? (Then every string in it goes through `redact`.) Every such run holds one of the secret's pieces of
    FRAGMENT // 2 characters at offsets 0, 4, 8...: those are searched for, and where one is found, the runs of
    FRAGMENT characters around it are compared, so short pieces that turn up by chance do not count."""
    half = FRAGMENT // 2
    for secret in _active_secrets():
        data = secret.encode()
        for start in range(0, len(data) - half + 1, half):
            piece = data[start:start + half]
            at = raw.find(piece)
            while at != -1:
                for first in range(max(0, start - half), min(start, len(data) - FRAGMENT) + 1):
                    begin = at - (start - first)
                    if begin >= 0 and raw[begin:begin + FRAGMENT] == data[first:first + FRAGMENT]:
                        return True
                at = raw.find(piece, at + 1)
    return False


def redact_value(value: Any) -> Any:
    """`redact` applied to every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def redact_json(value: Any) -> tuple[Any, str]:
    """`value` masked as `redact_value` masks it, and its JSON text (a log line): one pass over the text rather
    than one per string, when no secret holds a character JSON would escape (then a secret reads the same in
    the text as in the value); string by string otherwise."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not any(_JSON_ESCAPED.search(secret) for secret in _active_secrets()):
        masked = redact(text)
        if masked == text:
            return value, text
        try:
            return json.loads(masked), masked
        except ValueError:  # a run of digits of a secret masked inside a JSON number
            pass
    value = redact_value(value)
    return value, json.dumps(value, ensure_ascii=False, default=str)


def cut(text: str, limit: int) -> str:
    """`text` masked, then shortened to `limit` characters: a limit never cuts a secret into pieces that pass."""
    return redact(text)[:limit]


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
