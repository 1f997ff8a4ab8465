"""What a server shared by a team adds to the HTTP transport: sign-in and metrics, from the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from mcp.server import Server
from starlette.routing import Route
from starlette.types import ASGIApp

from . import metrics
from .audit import AuditLog
from .settings import Settings


class TeamConfigError(ValueError):
    """The sign-in settings cannot work together; the message says what to change."""


def prepare(settings: Settings) -> bool:
    """True when people sign in (`auth_issuer`); then the resource URL's host is an accepted Host header.
    Raises TeamConfigError when a static access token is set too (one way in, not two), or metrics are asked
    for without prometheus-client."""
    if settings.metrics and metrics.enable() is None:
        raise TeamConfigError("metrics: --metrics needs prometheus-client: pip install 'telnyx-iot-mcp[metrics]'")
    if not settings.auth_issuer:
        return False
    if settings.http_token is not None or settings.http_token_file:
        raise TeamConfigError("http_token: with sign-in (--auth-issuer) people bring their own access tokens; unset "
                              "TELNYX_IOT_MCP_HTTP_TOKEN / --http-token-file")
    netloc = urlparse(settings.resource_url or "").netloc
    if netloc and netloc not in settings.allowed_hosts:
        settings.allowed_hosts.append(netloc)
    return True


def routes(settings: Settings, store: Any = None, client: Any = None) -> list[Route]:
    """The Protected Resource Metadata when people sign in, /metrics when asked for (and `client`'s requests
    to Telnyx counted)."""
    from .guard import metadata_routes

    served: list[Route] = []
    if settings.auth_issuer and settings.resource_url:
        served += metadata_routes(settings.resource_url, settings.auth_issuer)
    if settings.metrics:
        served.append(metrics.route(store))
        if client is not None:
            client.on_response = metrics.upstream
    return served


def guard(server: Server, settings: Settings, audit: AuditLog, store: Any = None) -> Callable[[ASGIApp], ASGIApp] | None:
    """The sign-in door for `server`'s MCP endpoint, or None without sign-in. Per-person call budgets are
    counted in `store` when it is shared by replicas (Redis)."""
    if not settings.auth_issuer or not settings.resource_url:
        return None
    from .auth import IssuerTokenVerifier
    from .guard import SignIn

    introspection = ((settings.auth_client_id, settings.auth_client_secret.get_secret_value())
                     if settings.auth_client_id and settings.auth_client_secret else None)
    verifier = IssuerTokenVerifier(settings.auth_issuer, settings.resource_url, introspection_client=introspection)
    return lambda app: SignIn(app, verifier, resource_url=settings.resource_url, exposed=server.exposed,
                              judge=server.scope_judge, audit=audit, per_minute=settings.person_calls_per_minute,
                              max_body_bytes=settings.max_body_bytes, store=store)
