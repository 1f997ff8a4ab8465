"""Keeps secrets out of everything the server produces: results, errors, logs, audit lines.

Two kinds of secret, masked differently:

- Credentials: the server's Telnyx key, the key a caller sent with the request being served, the HTTP access
  token and the confirmation secret. Not only a whole one is masked: any run of FRAGMENT or more of its
  characters is, so a credential cut in two (by a length limit here or upstream, or split across two fields)
  or partly echoed ("KEY0195C4E3A5...") leaves nothing longer than FRAGMENT - 1 characters behind.
- Learned secrets: values of fields the registry says are never shown (a migration source's credentials),
  from a call's arguments or an answer. A caller chooses them, so they must not become a way to blank out
  other text: they are masked as whole values or runs of LEARNED_RUN characters, only in the Telnyx account
  that sent or received them (the key in use), and only once the call that sent them was validated, sent
  and accepted (`learn_secret`); before that, within that call alone (`call_secrets`). The audit log's
  identifying fields are never masked by them (server/audit.py).

Masking runs before anything is cut to length.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from contextvars import ContextVar
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter is no key, and masking it would mangle ordinary text
# Shorter runs are left alone: 8 characters of a random key almost never occur by chance in ids, ICCIDs or
# text (6 would, now and then, in a long list of UUIDs), and 7 characters of a 40-character key give little away.
FRAGMENT = 8
# Learned secrets are at least this long (tools/secrets.py) and masked in runs this long: a caller cannot blank
# out words or ids by sending a few of their characters as a secret.
LEARNED_RUN = 16
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_secrets: set[str] = set()
# The key in use (a digest of it, "" for the server's own) -> its learned secrets, oldest first, at most MAX_LEARNED.
_learned: dict[str, dict[str, None]] = {}
MAX_LEARNED = 64  # each costs every later masking of its account a little; a source's credentials are two

# The Telnyx key an HTTP client sent with the request being served (server/http.py). TelnyxClient calls with
# it, and it is masked like a registered secret for as long as the request lasts, without being remembered
# after: a shared server meets many keys.
request_api_key: ContextVar[str | None] = ContextVar("request_api_key", default=None)
# The never-shown secrets the call being served sends, masked for that call only (tools/secrets.py).
call_secrets: ContextVar[frozenset[str]] = ContextVar("call_secrets", default=frozenset())


def register_secret(secret: str | None) -> None:
    """Remember a credential so every later `redact` call masks it, any run of FRAGMENT of its characters."""
    if secret and len(secret.strip()) >= MIN_SECRET_LENGTH:
        _secrets.add(secret.strip())


def _account() -> str:
    key = (request_api_key.get() or "").strip()
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def learn_secret(secret: str) -> None:
    """Mask `secret` from now on in what the account in use (the current key) is shown."""
    if len(secret.strip()) >= LEARNED_RUN:
        known = _learned.setdefault(_account(), {})
        known[secret.strip()] = None
        while len(known) > MAX_LEARNED:  # the oldest go first
            del known[next(iter(known))]


def _active_secrets(learned: bool = True) -> list[tuple[str, int]]:
    """The secrets to mask now, each with the shortest run of it that is masked."""
    active = [(secret, FRAGMENT) for secret in _secrets]
    key = (request_api_key.get() or "").strip()
    if len(key) >= MIN_SECRET_LENGTH:
        active.append((key, FRAGMENT))
    if learned and (_learned or call_secrets.get()):
        active += [(secret, LEARNED_RUN) for secret in call_secrets.get().union(_learned.get(_account(), ()))]
    return active


def _runs(text: str, secret: str, run: int) -> list[tuple[int, int]]:
    """Where `text` holds `run` or more consecutive characters of `secret`: (start, end) pairs."""
    found: list[tuple[int, int]] = []
    for start in range(len(secret) - run + 1):
        piece = secret[start:start + run]
        at = text.find(piece)
        while at != -1:
            found.append((at, at + run))
            at = text.find(piece, at + 1)
    return found


def redact(text: str, *, learned: bool = True) -> str:
    """`text` with every credential, whole or in part (FRAGMENT characters or more), every learned secret
    (whole, or LEARNED_RUN characters of it; not with `learned=False`) and every bearer credential masked."""
    if len(text) >= FRAGMENT:
        spans = sorted(span for secret, run in _active_secrets(learned) for span in _runs(text, secret, run))
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
    """A quick look at a response body before it is parsed: does it hold a run of a secret that `redact` masks?
    (Then every string in it goes through `redact`.) Every run of `run` characters holds one of the secret's
    pieces of run // 2 characters at offsets 0, run // 2, ...: those are searched for, and where one is found,
    the runs around it are compared, so short pieces that turn up by chance do not count."""
    for secret, run in _active_secrets():
        data, half = secret.encode(), run // 2
        for start in range(0, len(data) - half + 1, half):
            piece = data[start:start + half]
            at = raw.find(piece)
            while at != -1:
                for first in range(max(0, start - half), min(start, len(data) - run) + 1):
                    begin = at - (start - first)
                    if begin >= 0 and raw[begin:begin + run] == data[first:first + run]:
                        return True
                at = raw.find(piece, at + 1)
    return False


def redact_value(value: Any, *, learned: bool = True) -> Any:
    """`redact` applied to every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        return redact(value, learned=learned)
    if isinstance(value, dict):
        return {redact_value(k, learned=learned): redact_value(v, learned=learned) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, learned=learned) for v in value]
    return value


def redact_json(value: Any, *, learned: bool = True) -> tuple[Any, str]:
    """`value` masked as `redact_value` masks it, and its JSON text (a log line): one pass over the text rather
    than one per string, when no secret holds a character JSON would escape (then a secret reads the same in
    the text as in the value); string by string otherwise."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not any(_JSON_ESCAPED.search(secret) for secret, _ in _active_secrets(learned)):
        masked = redact(text, learned=learned)
        if masked == text:
            return value, text
        try:
            return json.loads(masked), masked
        except ValueError:  # a run of digits of a secret masked inside a JSON number
            pass
    value = redact_value(value, learned=learned)
    return value, json.dumps(value, ensure_ascii=False, default=str)


def learned_secrets_active() -> bool:
    """Whether `redact` masks any learned secret now."""
    return bool(call_secrets.get() or (_learned and _learned.get(_account())))


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
