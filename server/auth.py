"""Sign-in for a team: this server as an OAuth 2.1 resource server (the MCP authorization spec).

Clients find the authorization server through the Protected Resource Metadata (RFC 9728) this server
publishes, sign the person in there and send the access token it issued. A token is accepted only when the
configured issuer issued it for this server (its audience, RFC 8707, is the resource URL) and it has not
expired: a JWT is checked against the issuer's signing keys (JWKS, cached, fetched again when a token names
a key not seen yet, so a key rotation is followed), an opaque token by asking the issuer (introspection,
RFC 7662). The token is never sent anywhere else: Telnyx is called with the server's own key.

The person a token names (issuer and subject, the OAuth client, a name or email when the token carries one)
is the `Principal` of every call it makes: the audit log names them, confirmations are bound to them, and
their scopes (server/scopes.py) bound what they may list and call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import jwt
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, principal_components

log = logging.getLogger("telnyx_iot_mcp.auth")

# Signatures an access token may carry: asymmetric only (a shared-secret HS256 token could be forged by
# anyone holding the secret, and "none" by anyone at all).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 30  # seconds of clock difference allowed on exp / nbf / iat
KEYS_REFRESH_AFTER = 300.0  # seconds a fetched JWKS is trusted before it is fetched again
UNKNOWN_KEY_WAIT = 30.0  # at most one fetch per this many seconds for tokens naming unknown keys


@dataclass(frozen=True)
class Principal:
    """Who is calling: the person (issuer and subject) and the OAuth client they signed in with."""

    issuer: str | None
    subject: str | None
    client_id: str
    scopes: frozenset[str]
    name: str | None = None
    email: str | None = None

    @property
    def key(self) -> str:
        """The identity confirmations, plans and sessions are bound to (not the scopes: a person who steps up
        stays the same person)."""
        return json.dumps([self.issuer, self.subject, self.client_id], separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]

    def audit(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"issuer": self.issuer, "subject": self.subject, "client_id": self.client_id,
                                 "scopes": sorted(self.scopes)}
        if self.name:
            entry["name"] = self.name
        if self.email:
            entry["email"] = self.email
        return entry


def principal_of(token: AccessToken) -> Principal:
    client_id, issuer, subject = principal_components(token)
    claims = token.claims or {}
    name = claims.get("name") or claims.get("preferred_username")
    return Principal(issuer=issuer, subject=subject, client_id=client_id, scopes=frozenset(token.scopes),
                     name=str(name) if name else None,
                     email=str(claims["email"]) if claims.get("email") else None)


def current_principal() -> Principal | None:
    """The signed-in person of the request being served (None without sign-in: stdio, a static token)."""
    token = get_access_token()
    return principal_of(token) if token is not None else None


class AuthConfigError(ValueError):
    """The sign-in settings are unusable; the message says what to change."""


def same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


class IssuerTokenVerifier:
    """The `mcp` SDK's TokenVerifier for tokens of one issuer, for one resource."""

    def __init__(self, issuer: str, resource: str, *, http: httpx.AsyncClient | None = None,
                 introspection_client: tuple[str, str] | None = None) -> None:
        self.issuer = issuer
        self.resource = resource
        self._http = http or httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self._introspection_client = introspection_client
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_fetched = 0.0
        self._lock = anyio.Lock()

    async def metadata(self) -> dict[str, Any]:
        """The issuer's authorization server metadata (RFC 8414, else OpenID discovery), fetched once."""
        if self._metadata is None:
            base = self.issuer.rstrip("/")
            for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
                response = await self._http.get(base + path)
                if response.status_code == 200:
                    found = response.json()
                    if not same_url(str(found.get("issuer", "")), self.issuer):
                        raise AuthConfigError(f"auth_issuer: {base + path} names issuer {found.get('issuer')!r}, "
                                              f"not {self.issuer!r}")
                    self._metadata = found
                    break
            else:
                raise AuthConfigError(f"auth_issuer: {self.issuer} publishes no authorization server metadata")
        return self._metadata

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            if token.count(".") == 2:
                return await self._verify_jwt(token)
            if self._introspection_client:
                return await self._introspect(token)
        except (httpx.HTTPError, AuthConfigError, ValueError) as error:
            log.warning("could not check an access token with %s: %s", self.issuer, error)
        return None

    async def _signing_key(self, kid: str | None) -> jwt.PyJWK | None:
        async with self._lock:
            stale = time.monotonic() - self._keys_fetched > KEYS_REFRESH_AFTER
            unknown = kid not in self._keys and time.monotonic() - self._keys_fetched > UNKNOWN_KEY_WAIT
            if not self._keys_fetched or stale or unknown:
                uri = (await self.metadata()).get("jwks_uri")
                if not uri:
                    raise AuthConfigError(f"auth_issuer: {self.issuer} publishes no jwks_uri")
                keys = {}
                for jwk in (await self._http.get(uri)).raise_for_status().json().get("keys", []):
                    if jwk.get("use", "sig") != "sig":
                        continue
                    try:
                        keys[jwk.get("kid")] = jwt.PyJWK(jwk)
                    except jwt.PyJWTError:  # a key type this library cannot use: tokens it signed are refused
                        continue
                self._keys, self._keys_fetched = keys, time.monotonic()
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            return self._keys.get(kid)

    async def _verify_jwt(self, token: str) -> AccessToken | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        if header.get("alg") not in ALGORITHMS:
            return None
        key = await self._signing_key(header.get("kid"))
        if key is None:
            log.info("refused an access token signed by a key %s does not publish", self.issuer)
            return None
        try:
            claims = jwt.decode(token, key, algorithms=[header["alg"]], issuer=self.issuer,
                                audience=[self.resource, self.resource.rstrip("/"), self.resource.rstrip("/") + "/"],
                                leeway=LEEWAY, options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as error:
            log.info("refused an access token: %s", error)
            return None
        return self._access_token(token, claims)

    async def _introspect(self, token: str) -> AccessToken | None:
        endpoint = (await self.metadata()).get("introspection_endpoint")
        if not endpoint:
            raise AuthConfigError(f"auth_issuer: {self.issuer} publishes no introspection_endpoint")
        response = await self._http.post(endpoint, data={"token": token, "token_type_hint": "access_token"},
                                         auth=self._introspection_client)
        claims = response.raise_for_status().json()
        if claims.get("active") is not True:
            return None
        if not same_url(str(claims.get("iss") or self.issuer), self.issuer):
            return None
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else audiences or []
        if not any(same_url(str(a), self.resource) for a in audiences):
            return None  # a token without an audience could be meant for any server: not this one's
        if isinstance(claims.get("exp"), (int, float)) and claims["exp"] + LEEWAY < time.time():
            return None
        return self._access_token(token, claims)

    def _access_token(self, token: str, claims: dict[str, Any]) -> AccessToken:
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope or []]
        client_id = claims.get("client_id") or claims.get("azp") or claims.get("cid") or ""
        return AccessToken(token=token, client_id=str(client_id), scopes=scopes,
                           expires_at=int(claims["exp"]) if isinstance(claims.get("exp"), (int, float)) else None,
                           resource=self.resource, subject=str(claims["sub"]) if claims.get("sub") else None,
                           claims={"iss": claims.get("iss", self.issuer),
                                   **{k: claims[k] for k in ("name", "preferred_username", "email") if k in claims}})

    async def aclose(self) -> None:
        await self._http.aclose()


__all__ = ["AuthConfigError", "IssuerTokenVerifier", "Principal", "current_principal", "principal_of"]
