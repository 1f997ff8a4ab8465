"""Single-use confirmation tokens bound to one exact tool call, one Telnyx account and one person.

A token is `base64url(claims).base64url(hmac_sha256(secret, claims))`. The claims name the purpose,
the tool, a digest of its canonical arguments, the account (a keyed fingerprint of the API key), the
signed-in person it was issued to (a keyed fingerprint of their issuer, subject and OAuth client; none
without sign-in), an expiry and a random id. Redeeming checks all of them and spends the id in the store (server/state.py)
until the token expires: once across every process and replica that shares the store. The secret is
the configured one, else the store's own, so processes sharing a store accept each other's tokens.
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
from .auth import current_principal
from .state import MemoryStore, Store, StoreUnavailable, account_fingerprint


class TokenRefused(Exception):
    """The token cannot confirm this call; the message says why, for the model and the user."""


def split_token(arguments: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The confirmation token of a call, and its other arguments. An empty token is none: it is what a
    strict-mode model, which must fill every argument, sends before it has one."""
    return arguments.get(TOKEN_ARGUMENT) or None, {k: v for k, v in arguments.items() if k != TOKEN_ARGUMENT}


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
    """Issues and redeems tokens; `store` remembers spent ids (default: this process's memory)."""

    def __init__(self, secret: bytes | None = None, ttl_seconds: float = 300.0,
                 clock: Callable[[], float] = time.time, store: Store | None = None) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self.store: Store = store or MemoryStore()

    async def secret(self) -> bytes:
        """The signing secret: the configured one, else the store's (fetched once). Raises StoreUnavailable."""
        if self._secret is None:
            self._secret = await self.store.secret()
        return self._secret

    async def account(self, api_key: str | None) -> str:
        """The keyed fingerprint naming the Telnyx account of `api_key` (see state.account_fingerprint)."""
        return account_fingerprint(await self.secret(), api_key)

    async def person(self) -> str | None:
        """The keyed fingerprint of the signed-in person of the current request (None without sign-in)."""
        return _person(await self.secret())

    async def issue(self, purpose: str, tool: str, arguments: dict[str, Any], *, account: str,
                    **extra: Any) -> tuple[str, float]:
        """A token for exactly this call under `account`, and the time it expires (epoch seconds)."""
        expires = self._clock() + self.ttl_seconds
        secret = await self.secret()
        claims = {"p": purpose, "t": tool, "d": canonical_digest(tool, arguments), "a": account, "e": expires,
                  "i": secrets.token_urlsafe(12), **({"x": extra} if extra else {})}
        who = _person(secret)
        if who is not None:
            claims["w"] = who
        body = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(_sign(secret, body))}", expires

    async def redeem(self, token: str, purpose: str, tool: str, arguments: dict[str, Any], *,
                     account: str) -> dict[str, Any]:
        """Check the token against this call and account, and spend it; returns its extra claims.

        Raises TokenRefused, or StoreUnavailable when the store cannot say whether it was spent."""
        try:
            body_part, sig_part = token.split(".")
            body, signature = _unb64(body_part), _unb64(sig_part)
        except (ValueError, binascii.Error):
            raise TokenRefused("the confirmation token is malformed") from None
        if not hmac.compare_digest(signature, _sign(await self.secret(), body)):
            raise TokenRefused("the confirmation token's signature does not match (altered or from another server)")
        claims = json.loads(body)
        if claims.get("p") != purpose:
            raise TokenRefused("the token was not issued for this kind of confirmation")
        if claims.get("t") != tool or claims.get("d") != canonical_digest(tool, arguments):
            raise TokenRefused("the token was issued for a different tool or different arguments; "
                               "a token confirms one exact call only")
        if claims.get("a") != account:
            raise TokenRefused("the token was issued under another Telnyx account (API key) and confirms "
                               "calls under that account only")
        if claims.get("w") != _person(await self.secret()):
            raise TokenRefused("the token was issued to another person (or to a call without sign-in) and "
                               "confirms their calls only: whoever was asked must repeat the call")
        if self._clock() >= claims["e"]:
            raise TokenRefused("the confirmation token has expired")
        if not await self.store.spend(f"{purpose}:{claims['i']}", claims["e"]):
            raise TokenRefused("the confirmation token was already used; each token confirms one call once")
        return claims.get("x", {})


def _person(secret: bytes) -> str | None:
    """The signed-in person of the current request, as a keyed fingerprint (None without sign-in)."""
    principal = current_principal()
    if principal is None:
        return None
    return hmac.new(secret, f"person\0{principal.key}".encode(), hashlib.sha256).hexdigest()[:32]


def _sign(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()


__all__ = ["TOKEN_ARGUMENT", "ConfirmationTokens", "StoreUnavailable", "TokenRefused", "canonical_digest",
           "split_token"]
