"""A real OpenID provider for the OAuth tests: tests/external/oidc_provider.mjs (`oidc-provider`
from npm, pinned in tests/external) on an ephemeral loopback port.

`OpenIdProvider.token(user, resource)` gets an access token the way a client does: the
authorization code flow with PKCE (S256) and a resource indicator (RFC 8707), through the
provider's own endpoints; the provider's interaction signs in the user named by `login_hint`.
With CI set, a missing node or package fails the test that asks for a provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx2

from .test_external_client import EXTERNAL, node_or_skip

SCRIPT = EXTERNAL / "oidc_provider.mjs"
PACKAGE = EXTERNAL / "node_modules" / "oidc-provider" / "package.json"
REDIRECT = "http://127.0.0.1/callback"
WRITE_SCOPE = "stripe"  # what the test access files require


@dataclass
class OpenIdProvider:
    issuer: str
    process: subprocess.Popen[str]

    def token(
        self,
        user: str,
        resource: str,
        *,
        scope: str = f"openid {WRITE_SCOPE}",
        client_id: str = "mcp-client",
    ) -> str:
        """An access token for `user` and `resource`, from the authorization code flow."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": scope,
            "resource": resource,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": secrets.token_hex(8),
            "login_hint": user,
            "prompt": "consent",
        }
        with httpx2.Client(timeout=30) as http:
            location = f"{self.issuer}/auth?{urlencode(query)}"
            for _ in range(
                12
            ):  # auth -> login interaction -> auth -> consent interaction -> auth -> redirect
                if location.startswith(REDIRECT):
                    break
                answer = http.get(location)
                assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
                location = urljoin(location, answer.headers["location"])
            else:
                raise AssertionError("the authorization flow did not come back to the client")
            params = parse_qs(urlsplit(location).query)
            assert "code" in params, params
            answer = http.post(
                f"{self.issuer}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": params["code"][0],
                    "redirect_uri": REDIRECT,
                    "client_id": client_id,
                    "code_verifier": verifier,
                    "resource": resource,
                },
            )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def rotate(self, *, keep: bool = False) -> str:
        """A new signing key (the old one dropped from the JWKS unless `keep`); its kid."""
        answer = httpx2.post(f"{self.issuer}/_test/rotate" + ("?keep=1" if keep else ""))
        assert answer.status_code == 200, answer.text
        kid: str = answer.json()["kid"]
        return kid


@contextmanager
def openid_provider(users: dict[str, dict[str, Any]] | None = None) -> Iterator[OpenIdProvider]:
    """The provider, with the script's test users plus `users` ({id: {email, groups}})."""
    node = node_or_skip(PACKAGE)
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        cwd=EXTERNAL,
        env={**os.environ, "OIDC_TEST_USERS": json.dumps(users or {})},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise AssertionError(
                "oidc_provider.mjs did not start: " + (process.stderr.read() if process.stderr else "")
            )
        started: dict[str, Any] = json.loads(line)
        yield OpenIdProvider(issuer=started["issuer"], process=process)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (to show what the provider put in it)."""
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def write_access_file(path: Path, issuer: str, resource: str, body: str, **oauth: Any) -> Path:
    """An access file for these tests: [oauth] from the arguments, then `body` ([keys], rules)."""
    settings = {"issuer": issuer, "resource": resource, "scopes": [WRITE_SCOPE], **oauth}
    lines = ["[oauth]", *(f"{name} = {json.dumps(value)}" for name, value in settings.items())]
    path.write_text("\n".join(lines) + "\n\n" + body)
    return path
