"""Single-use confirmation tokens bound to one exact tool call, signed so any replica can check them.

A token is `base64url(claims).base64url(hmac_sha256(secret, claims))`. The claims name the purpose,
the tool, a digest of its canonical arguments, an expiry and a random id. Redeeming checks all of
them and remembers the id until the token expires, so a token works once per process. Replicas
share the secret (not the memory of used ids): see the README's threat model.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from ..tools.schema import CONFIRMATION_TOKEN as TOKEN_ARGUMENT


class TokenRefused(Exception):
    """The token cannot confirm this call; the message says why, for the model and the user."""


def canonical_digest(tool: str, arguments: dict[str, Any]) -> str:
    """SHA-256 of the tool name and its arguments (without the token), independent of key order."""
    payload = {"tool": tool, "arguments": {k: v for k, v in arguments.items() if k != TOKEN_ARGUMENT}}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ConfirmationTokens:
    def __init__(self, secret: bytes | None = None, ttl_seconds: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._used: dict[str, float] = {}  # token id -> expiry

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()

    def issue(self, purpose: str, tool: str, arguments: dict[str, Any], **extra: Any) -> tuple[str, float]:
        """A token for exactly this call, and the time it expires (epoch seconds)."""
        expires = self._clock() + self.ttl_seconds
        claims = {"p": purpose, "t": tool, "d": canonical_digest(tool, arguments), "e": expires,
                  "i": secrets.token_urlsafe(12), **({"x": extra} if extra else {})}
        body = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}", expires

    def redeem(self, token: str, purpose: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check the token against this call and spend it; returns its extra claims. Raises TokenRefused."""
        try:
            body_part, sig_part = token.split(".")
            body, signature = _unb64(body_part), _unb64(sig_part)
        except (ValueError, binascii.Error):
            raise TokenRefused("the confirmation token is malformed") from None
        if not hmac.compare_digest(signature, self._sign(body)):
            raise TokenRefused("the confirmation token's signature does not match (altered or from another server)")
        claims = json.loads(body)
        if claims.get("p") != purpose:
            raise TokenRefused("the token was not issued for this kind of confirmation")
        if claims.get("t") != tool or claims.get("d") != canonical_digest(tool, arguments):
            raise TokenRefused("the token was issued for a different tool or different arguments; "
                               "a token confirms one exact call only")
        now = self._clock()
        if now >= claims["e"]:
            raise TokenRefused("the confirmation token has expired")
        self._forget_expired(now)
        if claims["i"] in self._used:
            raise TokenRefused("the confirmation token was already used; each token confirms one call once")
        self._used[claims["i"]] = claims["e"]
        return claims.get("x", {})

    def _forget_expired(self, now: float) -> None:
        for token_id in [i for i, expires in self._used.items() if expires <= now]:
            del self._used[token_id]
