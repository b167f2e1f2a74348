"""Access tokens checked as JWTs (RFC 9068) against the issuer's published keys, with PyJWT.

Checked: the issuer (exactly the configured one, before anything is fetched), the signature
with a key from the issuer's JWKS (asymmetric algorithms only: `none` and HMAC are refused, so a
public key can never be used as a shared secret), the audience (this server's resource URL,
RFC 8707: a token minted for another resource is refused), expiry and not-before (with a small
leeway for clock skew), and a subject. Scopes are read from `scope` (RFC 9068) or `scp`.

The JWKS is fetched once and cached; a token signed with a key id it does not hold makes it
fetch again (the issuer rotated its keys), at most once per cooldown, one fetch at a time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import anyio
import jwt

from .access import Person

logger = logging.getLogger("stripe_power.oauth")

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
JWKS_MAX_AGE_SECONDS = 3600  # refreshed at least hourly, so a key the issuer withdrew stops working
_MAX_DOCUMENT_BYTES = 512 * 1024


class InvalidToken(Exception):
    """401 invalid_token; the message says what was wrong (never the token)."""


class ProviderUnavailable(Exception):
    """The identity provider's keys could not be fetched (503: the token may be fine)."""


class JwksCache:
    """The issuer's signing keys by key id, fetched on first use and again on an unknown kid."""

    def __init__(self, issuer: str, jwks_uri: str | None, *, cooldown_seconds: float) -> None:
        self.issuer = issuer
        self.jwks_uri = jwks_uri
        self.cooldown_seconds = cooldown_seconds
        self.fetches = 0  # how many times the JWKS was fetched (tests and logs)
        self._keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}  # kid -> (key, the alg it declares)
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()

    async def key(self, kid: str | None) -> tuple[jwt.PyJWK, str | None]:
        found = self._lookup(kid)
        stale = self._fetched_at is None or time.monotonic() - self._fetched_at > JWKS_MAX_AGE_SECONDS
        if found is not None and not stale:
            return found
        async with self._lock:
            found = self._lookup(kid)
            fetched_at = self._fetched_at
            due = fetched_at is None or time.monotonic() - fetched_at >= self.cooldown_seconds
            stale = fetched_at is None or time.monotonic() - fetched_at > JWKS_MAX_AGE_SECONDS
            if (found is None or stale) and due:
                await self._refresh()
                found = self._lookup(kid)
        if found is None:
            raise InvalidToken(
                f"it is signed with a key ({kid or 'no kid'}) that {self.issuer} does not publish; "
                "sign in again for a new token"
            )
        return found

    def _lookup(self, kid: str | None) -> tuple[jwt.PyJWK, str | None] | None:
        if kid is None:  # a JWKS with one key needs no kid
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        import httpx

        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=5, follow_redirects=False) as http:
                uri = self.jwks_uri or await self._discover(http)
                self.fetches += 1
                document = await _get_json(http, uri)
        except (httpx.HTTPError, ValueError) as error:
            self._fetched_at = None  # not a reason to wait: the next token may try again
            logger.warning("could not fetch the signing keys of %s: %s", self.issuer, error)
            raise ProviderUnavailable(f"the signing keys of {self.issuer} could not be fetched") from None
        keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}
        for entry in document.get("keys") or []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                parsed = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm this server does not use
            declared = entry.get("alg")
            keys[str(entry.get("kid", ""))] = (parsed, declared if isinstance(declared, str) else None)
        self._keys = keys
        logger.info("fetched %d signing key(s) of %s", len(keys), self.issuer)

    async def _discover(self, http: Any) -> str:
        """jwks_uri from the issuer's metadata (RFC 8414, then OpenID Connect discovery)."""
        base = self.issuer.rstrip("/")
        for well_known in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
            try:
                metadata = await _get_json(http, base + well_known)
            except ValueError:
                continue
            if metadata.get("issuer") == self.issuer and isinstance(metadata.get("jwks_uri"), str):
                self.jwks_uri = str(metadata["jwks_uri"])
                return self.jwks_uri
        raise ValueError(f"no metadata with issuer {self.issuer} and a jwks_uri")


async def _get_json(http: Any, url: str) -> dict[str, Any]:
    answer = await http.get(url, headers={"Accept": "application/json"})
    if answer.status_code != 200 or len(answer.content) > _MAX_DOCUMENT_BYTES:
        raise ValueError(f"GET {url} answered {answer.status_code}")
    document = json.loads(answer.content)
    if not isinstance(document, dict):
        raise ValueError(f"GET {url} is not a JSON object")
    return document


class TokenVerifier:
    """Turns a bearer token into the Person it names, or raises InvalidToken."""

    def __init__(self, issuer: str, resource: str, jwks: JwksCache, *, leeway_seconds: int) -> None:
        self.issuer = issuer
        self.resource = resource
        self.jwks = jwks
        self.leeway_seconds = leeway_seconds

    async def verify(self, token: str) -> Person:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("it is not a JWT access token") from None
        # The issuer first: a token from another provider is refused without fetching anything.
        if unverified.get("iss") != self.issuer:
            raise InvalidToken(f"it was issued by {str(unverified.get('iss'))[:200]!r}, not by {self.issuer}")
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidToken(
                f"its algorithm {str(algorithm)[:20]!r} is not accepted (asymmetric signatures only)"
            )
        key, declared = await self.jwks.key(header.get("kid") if isinstance(header.get("kid"), str) else None)
        if declared is not None and declared != algorithm:
            raise InvalidToken("its algorithm does not match its signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=_audiences(self.resource),
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "strict_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("it has expired; sign in again (your client refreshes it)") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(
                f"it was issued for another resource ({_audience_text(unverified.get('aud'))}), not for "
                f"{self.resource}; request it with resource={self.resource}"
            ) from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("it is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("its signature does not verify") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"it has no {error.claim} claim") from None
        except jwt.PyJWTError as error:
            raise InvalidToken(f"it does not verify ({type(error).__name__})") from None
        return Person(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            client_id=str(claims.get("client_id") or claims.get("azp") or ""),
            scopes=scopes_of(claims),
            claims=claims,
        )


def scopes_of(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """`scope` (a space-separated string, RFC 9068) or `scp` (a list or string, some providers)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return tuple(value.split())
        if isinstance(value, list):
            return tuple(item for item in value if isinstance(item, str))
    return ()


def _audiences(resource: str) -> list[str]:
    """The resource URL, with and without a trailing slash (the same URL to a client)."""
    bare = resource.rstrip("/")
    return sorted({bare, bare + "/"})


def _audience_text(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(str(item)[:200] for item in items[:5])
