"""Webhook deliveries: signed per Standard Webhooks, to public https addresses only, each retried a bounded time.

A target is checked when it is subscribed and again before every delivery: its name is resolved, every address
must be public (not private, loopback, link-local, reserved or multicast) unless private targets are allowed
(`--allow-private-webhooks`, for tests and on-premises receivers), and the request goes to the address that
was checked (the name travels in the Host header and TLS SNI), so a name that resolves differently a moment
later cannot redirect it. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
from standardwebhooks import Webhook

TIMEOUT = 10.0
MAX_BODY = 65_536  # bytes of a receiver's answer read (a verification echo is short)
SUBSCRIPTION_HEADER = "X-MCP-Subscription-Id"


class WebhookRefused(ValueError):
    """The target or the secret cannot be used; the message says which and why."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def check_secret(secret: Any) -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 bytes."""
    import base64
    import binascii

    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise WebhookRefused("delivery.secret: must be a Standard Webhooks secret, whsec_ followed by base64")
    try:
        raw = base64.b64decode(secret[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRefused("delivery.secret: the part after whsec_ is not base64") from None
    if not 24 <= len(raw) <= 64:
        raise WebhookRefused(f"delivery.secret: decodes to {len(raw)} bytes; 24 to 64 random bytes are required")
    return secret


@dataclass(frozen=True)
class Target:
    url: str  # as subscribed
    host: str
    address: str  # the checked address the request goes to


async def resolve(url: Any, *, allow_private: bool) -> Target:
    """The checked target of `url`; raises WebhookRefused naming what is wrong."""
    if not isinstance(url, str) or len(url) > 2048:
        raise WebhookRefused("delivery.url: must be a URL of at most 2048 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookRefused("delivery.url: must be an https:// URL")
    if parts.username or parts.password:
        raise WebhookRefused("delivery.url: must not carry a user name or password")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("delivery.url: the port is not a number") from None
    try:
        found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookRefused(f"delivery.url: the host {host!r} could not be resolved", "connection_refused") from None
    addresses = sorted({str(info[4][0]) for info in found})
    private = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global]
    if private and not allow_private:
        raise WebhookRefused(f"delivery.url: {host} resolves to a private or local address ({private[0]}); "
                             "only public addresses are allowed (a server started with --allow-private-webhooks "
                             "accepts private ones)")
    if parts.scheme == "http" and not (allow_private and private):
        raise WebhookRefused("delivery.url: must be an https:// URL (plain http only to a private address with "
                             "--allow-private-webhooks)")
    if not addresses:
        raise WebhookRefused(f"delivery.url: the host {host!r} has no address", "connection_refused")
    return Target(url, host, addresses[0])


def signed(secret: str, message_id: str, body: bytes, subscription_id: str) -> dict[str, str]:
    now = datetime.now(timezone.utc)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
        SUBSCRIPTION_HEADER: subscription_id,
    }


async def post(client: httpx.AsyncClient, target: Target, secret: str, message_id: str, body: dict[str, Any],
               subscription_id: str) -> tuple[int | None, str, str | None]:
    """POST one signed body to the checked address; (status, the start of the answer, a failure category)."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = address + (f":{parts.port}" if parts.port else "")
    headers = {**signed(secret, message_id, data, subscription_id), "host": parts.netloc.rsplit("@", 1)[-1]}
    try:
        response = await client.post(urlunsplit(parts._replace(netloc=netloc)), content=data, headers=headers,
                                     extensions={"sni_hostname": target.host})
    except httpx.TimeoutException:
        return None, "", "timeout"
    except httpx.ConnectError as error:
        return None, "", "tls_error" if "SSL" in str(error) or "certificate" in str(error) else "connection_refused"
    except httpx.HTTPError:
        return None, "", "connection_refused"
    text = response.content[:MAX_BODY].decode("utf-8", "replace")
    if 200 <= response.status_code < 300:
        return response.status_code, text, None
    return response.status_code, text, "http_4xx" if response.status_code < 500 else "http_5xx"


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


async def verify_endpoint(client: httpx.AsyncClient, target: Target, secret: str, subscription_id: str) -> None:
    """The receiver proves it wants these deliveries: it echoes a signed challenge in a 2xx answer."""
    challenge = secrets.token_urlsafe(24)
    status, text, failure = await post(client, target, secret, f"msg_verification_{secrets.token_hex(8)}",
                                       {"type": "verification", "challenge": challenge}, subscription_id)
    if failure:
        raise WebhookRefused(f"delivery.url: the endpoint did not accept the verification request ({failure}"
                             f"{f', HTTP {status}' if status else ''})", failure)
    echoed = text.strip()
    try:
        value = json.loads(echoed)
        echoed = value.get("challenge", "") if isinstance(value, dict) else str(value)
    except ValueError:
        pass
    if not secrets.compare_digest(str(echoed).encode(), challenge.encode()):
        raise WebhookRefused("delivery.url: the endpoint did not echo the verification challenge", "challenge_failed")


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (1, 2, ...): 2, 4, 8 ... up to 10 minutes."""
    return float(min(600, 2 ** attempt))


def now() -> float:
    return time.time()
