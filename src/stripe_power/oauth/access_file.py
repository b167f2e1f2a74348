"""The access file (TOML): which identity provider to trust, which Stripe keys the server holds,
and which people get which key, toolsets, read-only or not, and spending limits.

```toml
[oauth]
issuer = "https://login.example.com"            # the team's OpenID provider
resource = "https://stripe-mcp.example.com/mcp"  # this server's URL: the tokens' audience
scopes = ["stripe"]                               # every token must carry these
revoked = ["00u1mallory"]                         # subjects refused at once

[keys]
payments = { env = "STRIPE_KEY_PAYMENTS" }
support = { file = "/etc/stripe-power/support.key" }   # mode 0600 or stricter

[[access]]
name = "payments team"
when = { claim = "groups", is = "payments" }
key = "payments"
toolsets = ["default", "invoices"]
max_amount = "usd:50000"
```

The first `[[access]]` rule whose `when` matches the token's claims applies; a person no rule
matches is refused (403, with the reason). The file holds no secret: keys come from the
environment or from files only the server's user can read, and are never written anywhere.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import inspect_key, is_loopback, parse_amounts, parse_toolsets
from ..errors import ConfigError
from .access import Access, Person

# Claims a rule may match on are named by path: `groups`, `sub`, `realm_access.roles`.
_CLAIM_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-/")


@dataclass(frozen=True)
class Rule:
    name: str
    claim: str
    values: frozenset[str]
    key: str
    toolsets: frozenset[str] | None  # None: every tool (`toolsets = ["all"]`)
    read_only: bool
    confirm_writes: bool
    max_amount: Mapping[str, int]
    max_daily_refunds: Mapping[str, int]

    def matches(self, claims: Mapping[str, Any]) -> bool:
        found = claim_values(claims, self.claim)
        return bool(found & self.values)


@dataclass(frozen=True)
class AccessFile:
    path: Path
    issuer: str
    resource: str
    scopes: tuple[str, ...]
    jwks_uri: str | None
    jwks_cooldown_seconds: float
    leeway_seconds: int
    revoked: frozenset[str]
    keys: Mapping[str, str] = field(repr=False)
    rules: tuple[Rule, ...]
    # What a rule without `toolsets` gets: the server's --toolsets (default: the default set).
    base_toolsets: frozenset[str] | None = frozenset({"default"})
    # The environment the keys were read from: the file is read again with it when it changes.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def toolsets(self) -> frozenset[str] | None:
        """Every toolset some rule grants (None: some rule grants all)."""
        union: set[str] = set()
        for rule in self.rules:
            if rule.toolsets is None:
                return None
            union |= rule.toolsets
        return frozenset(union)

    @property
    def any_confirms(self) -> bool:
        return any(rule.confirm_writes for rule in self.rules)

    @property
    def any_live(self) -> bool:
        return any(key.startswith(("sk_live_", "rk_live_")) for key in self.keys.values())

    def grant(
        self, person: Person, tools_for: Callable[[frozenset[str] | None, bool], frozenset[str]]
    ) -> Access:
        """The access the first matching rule gives `person`; raises Denied with the reason."""
        if person.subject in self.revoked:
            raise Denied(
                f"Access for {person.name} (sub {person.subject}) was revoked in {self.path.name}; "
                "ask the team lead who runs this server."
            )
        for rule in self.rules:
            if rule.matches(person.claims):
                return Access(
                    person=person,
                    rule=rule.name,
                    key_name=rule.key,
                    stripe_key=self.keys[rule.key],
                    tools=tools_for(rule.toolsets, rule.read_only),
                    read_only=rule.read_only,
                    confirm_writes=rule.confirm_writes,
                    max_amount=rule.max_amount,
                    max_daily_refunds=rule.max_daily_refunds,
                )
        looked_at = sorted({rule.claim for rule in self.rules})
        seen = "; ".join(
            f"{claim}: {', '.join(sorted(claim_values(person.claims, claim))) or '(none)'}"
            for claim in looked_at
        )
        raise Denied(
            f"No access rule in {self.path.name} matches {person.name} (sub {person.subject}; {seen}). "
            "Ask the team lead who runs this server to add a rule for you or your group."
        )


class Denied(Exception):
    """A verified person this server gives no access to (403); the message says why."""


def claim_values(claims: Mapping[str, Any], path: str) -> frozenset[str]:
    """The string values at a dotted claim path: a string, or the strings of a list."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


def load_access_file(
    path: Path,
    *,
    allow_live: bool,
    env: Mapping[str, str] | None = None,
    known_toolsets: frozenset[str] | None = None,
    base_toolsets: frozenset[str] | None = frozenset({"default"}),
) -> AccessFile:
    """Read and check the file; every problem is a ConfigError naming the entry and the fix."""
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--access-file {path}: no such file.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"--access-file {path}: cannot read it as TOML ({error}).") from None
    where = path.name
    _only(data, {"oauth", "keys", "access"}, where)
    oauth = _table(data, "oauth", where)
    _only(
        oauth,
        {"issuer", "resource", "scopes", "revoked", "jwks_uri", "jwks_cooldown_seconds", "leeway_seconds"},
        f"{where} [oauth]",
    )
    issuer = _url(
        oauth.get("issuer"), f"{where} [oauth] issuer", "the issuer of your identity provider's tokens"
    )
    resource = _url(
        oauth.get("resource"), f"{where} [oauth] resource", "this server's /mcp URL as clients reach it"
    )
    if urlsplit(resource).query or urlsplit(resource).fragment:
        raise ConfigError(f"{where} [oauth] resource {resource!r}: no query or fragment (RFC 8707).")
    jwks_uri = oauth.get("jwks_uri")
    if jwks_uri is not None:
        jwks_uri = _url(jwks_uri, f"{where} [oauth] jwks_uri", "the identity provider's JWKS URL")
    keys = {
        name: _key(name, spec, path, env, allow_live) for name, spec in _table(data, "keys", where).items()
    }
    if not keys:
        raise ConfigError(
            f'{where}: [keys] names no Stripe key; add e.g. payments = {{ env = "STRIPE_KEY_PAYMENTS" }}.'
        )
    raw_rules = data.get("access")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{where}: add at least one [[access]] rule (name, when, key).")
    rules = tuple(
        _rule(index, raw, keys, where, known_toolsets, base_toolsets)
        for index, raw in enumerate(raw_rules, 1)
    )
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two [[access]] rules share a name; give each its own.")
    return AccessFile(
        path=path,
        issuer=issuer,
        resource=resource,
        scopes=tuple(_strings(oauth.get("scopes", []), f"{where} [oauth] scopes")),
        jwks_uri=jwks_uri,
        jwks_cooldown_seconds=_number(
            oauth.get("jwks_cooldown_seconds", 10), f"{where} [oauth] jwks_cooldown_seconds"
        ),
        leeway_seconds=int(_number(oauth.get("leeway_seconds", 30), f"{where} [oauth] leeway_seconds")),
        revoked=frozenset(_strings(oauth.get("revoked", []), f"{where} [oauth] revoked")),
        keys=keys,
        rules=rules,
        base_toolsets=base_toolsets,
        env=env,
    )


def _rule(
    index: int,
    raw: Any,
    keys: Mapping[str, str],
    where: str,
    known_toolsets: frozenset[str] | None,
    base_toolsets: frozenset[str] | None,
) -> Rule:
    at = f"{where} [[access]] #{index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table.")
    _only(
        raw,
        {"name", "when", "key", "toolsets", "read_only", "confirm_writes", "max_amount", "max_daily_refunds"},
        at,
    )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f'{at}: give it a name (name = "payments team"); audit lines carry it.')
    at = f"{where} [[access]] {name!r}"
    when = raw.get("when")
    if not isinstance(when, dict) or set(when) != {"claim", "is"}:
        raise ConfigError(f'{at}: when = {{ claim = "groups", is = "payments" }} (or is = ["a", "b"]).')
    claim = when["claim"]
    if not isinstance(claim, str) or not claim or not set(claim) <= _CLAIM_PATH_CHARS:
        raise ConfigError(
            f"{at}: when.claim must name a token claim, like groups, sub or realm_access.roles."
        )
    values = [when["is"]] if isinstance(when["is"], str) else when["is"]
    key = raw.get("key")
    if not isinstance(key, str) or key not in keys:
        raise ConfigError(f"{at}: key = {key!r} is not in [keys] (known: {', '.join(sorted(keys))}).")
    toolsets = base_toolsets
    if "toolsets" in raw:
        try:
            toolsets = parse_toolsets(",".join(_strings(raw["toolsets"], f"{at} toolsets")), known_toolsets)
        except ConfigError as error:
            raise ConfigError(f"{at}: {str(error).replace('--toolsets: ', 'toolsets: ')}") from None
    flags = {flag: raw.get(flag, False) for flag in ("read_only", "confirm_writes")}
    for flag, value in flags.items():
        if not isinstance(value, bool):
            raise ConfigError(f"{at}: {flag} must be true or false.")
    return Rule(
        name=name,
        claim=claim,
        values=frozenset(_strings(values, f"{at} when.is")),
        key=key,
        toolsets=toolsets,
        read_only=flags["read_only"],
        confirm_writes=flags["confirm_writes"],
        max_amount=_amounts(f"{at} max_amount", raw.get("max_amount")),
        max_daily_refunds=_amounts(f"{at} max_daily_refunds", raw.get("max_daily_refunds")),
    )


def _key(name: str, spec: Any, access_file: Path, env: Mapping[str, str], allow_live: bool) -> str:
    """A Stripe key from the environment or from a file only its owner can read."""
    at = f"{access_file.name} [keys] {name}"
    if not isinstance(spec, dict) or len(spec) != 1 or not ({"env", "file"} & set(spec)):
        raise ConfigError(
            f'{at}: give {{ env = "VARIABLE" }} or {{ file = "/path/to/key" }} (keys never go in this file).'
        )
    if "env" in spec:
        value = env.get(str(spec["env"]), "").strip()
        if not value:
            raise ConfigError(f"{at}: the environment variable {spec['env']} is not set.")
    else:
        key_path = Path(str(spec["file"]))
        key_path = key_path if key_path.is_absolute() else access_file.parent / key_path
        try:
            mode = key_path.stat().st_mode
            value = key_path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"{at}: cannot read {key_path} ({error.strerror}).") from None
        if not stat.S_ISREG(mode) or mode & 0o077:
            raise ConfigError(
                f"{at}: {key_path} is readable by others (mode {stat.S_IMODE(mode):04o}); "
                f"run chmod 600 {key_path} (a key file must be readable by the server's user only)."
            )
    try:
        inspect_key(value, allow_live=allow_live)
    except ConfigError as error:
        raise ConfigError(f"{at}: {str(error).replace('STRIPE_SECRET_KEY', 'the key')}") from None
    return value


def _url(value: Any, at: str, meaning: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{at}: set it to {meaning}.")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{at} {value!r}: must be an https:// URL ({meaning}).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{at} {value!r}: plain http only on loopback; use https.")
    return value


def _table(data: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: a [{name}] table is required.")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], at: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{at}: unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}.")


def _strings(value: Any, at: str) -> Sequence[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{at}: must be a list of strings.")
    return value


def _number(value: Any, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{at}: must be a number of seconds, 0 or more.")
    return float(value)


def _amounts(option: str, value: Any) -> dict[str, int]:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f'{option}: write it as a string, like "usd:50000".')
    return parse_amounts(option, value)
