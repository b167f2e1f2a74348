"""Settings from the environment and flags, with the key's kind and mode detected.

Every refusal is a ConfigError whose message names the problem and the fix; the key
itself never appears in it (at most its prefix and last four characters).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from .errors import ConfigError
from .guardrails import rule
from .state import check_state_url

if TYPE_CHECKING:
    from .oauth.access_file import AccessFile

KeyMode = Literal["test", "live"]
KeyKind = Literal["secret", "restricted"]

_TRUE = {"1", "true", "yes", "on"}


def mask_key(key: str) -> str:
    """`sk_test_abc...wxyz` -> `sk_test_…wxyz`: enough to recognise, never enough to use."""
    prefix = next(
        (
            p
            for p in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_")
            if key.startswith(p)
        ),
        "",
    )
    if not prefix:
        return "…" if len(key) < 12 else f"…{key[-4:]}"
    return f"{prefix}…{key[-4:]}" if len(key) >= len(prefix) + 8 else f"{prefix}…"


@dataclass(frozen=True)
class KeyInfo:
    kind: KeyKind
    mode: KeyMode
    masked: str


def inspect_key(key: str, *, allow_live: bool) -> KeyInfo:
    """Detect kind and mode, refusing publishable, unknown and (without opt-in) live keys."""
    key = key.strip()
    if key.startswith("pk_"):
        raise ConfigError(f"{mask_key(key)} is a publishable key. {rule('publishable-key').message()}")
    kinds: dict[str, tuple[KeyKind, KeyMode]] = {
        "sk_test_": ("secret", "test"),
        "rk_test_": ("restricted", "test"),
        "sk_live_": ("secret", "live"),
        "rk_live_": ("restricted", "live"),
    }
    found = next(((p, v) for p, v in kinds.items() if key.startswith(p)), None)
    if found is None or not re.fullmatch(r"[a-z]{2}_(test|live)_[A-Za-z0-9]{5,}", key):
        raise ConfigError(
            f"STRIPE_SECRET_KEY ({mask_key(key)}) is not a Stripe secret or restricted key. "
            "Set it to an sk_test_... or rk_test_... key from https://dashboard.stripe.com/test/apikeys, "
            "or run `stripe-power serve --sandbox` to use the offline sandbox with no key."
        )
    kind, mode = found[1]
    if mode == "live" and not allow_live:
        raise ConfigError(
            f"{mask_key(key)} is a live key and live mode is not allowed. Use a test key, or pass "
            "--allow-live (STRIPE_POWER_ALLOW_LIVE=1) with a restricted key (rk_live_)."
        )
    return KeyInfo(kind=kind, mode=mode, masked=mask_key(key))


def check_api_base(url: str) -> str:
    """Accept https anywhere, plain http only for loopback hosts (the sandbox)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/") or parts.query:
        raise ConfigError(
            f"--api-base {url!r} must be a bare origin like https://api.stripe.com or http://127.0.0.1:12111."
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"--api-base {url!r} uses plain http on a non-loopback host; use https.")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_state_dir(env: Mapping[str, str]) -> Path:
    if env.get("STRIPE_POWER_STATE_DIR"):
        return Path(env["STRIPE_POWER_STATE_DIR"])
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stripe-power"


@dataclass(frozen=True)
class Settings:
    """Everything the server needs; built once at start-up. `repr` never shows the key."""

    api_key: str = field(repr=False)  # "" with client keys: the server holds none
    key: KeyInfo | None  # None with client keys (each request's key is inspected on its own)
    api_base: str | None = None
    toolsets: frozenset[str] | None = None  # None: every tool; load_settings defaults to {"default"}
    read_only: bool = False
    allow_live: bool = False
    state_dir: Path = Path(".stripe-power")
    stripe_account: str | None = None
    max_network_retries: int = 2
    timeout_seconds: float = 30.0
    confirm_writes: bool = False
    connect: bool = False  # adds a `stripe_account` parameter to every tool
    # Per-call and per-day caps in minor units, by currency; "*" applies to every currency.
    max_amount: Mapping[str, int] = field(default_factory=dict)
    max_daily_refunds: Mapping[str, int] = field(default_factory=dict)
    # An identical write repeated within this many seconds reuses the first idempotency key.
    replay_window_seconds: int = 120
    # Webhooks: signing secrets (several during a rollover; never shown), whether the HTTP
    # receiver is mounted (HTTP transport), and non-loopback hosts send_test_webhook may post to.
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    webhook_receiver: bool = False
    allow_webhook_hosts: frozenset[str] = frozenset()
    # Team mode (`team`): send_test_webhook refuses loopback and private addresses unless this is on.
    allow_private_webhook_targets: bool = False
    # HTTP clients on other machines: a non-loopback bind, or --allowed-host names (a proxy in front).
    remote_clients: bool = False
    # The Stripe API is this package's offline sandbox (`serve --sandbox`): lists its test helpers.
    sandbox: bool = False
    # Team deployment: each HTTP request carries its client's own Stripe key (no server key),
    # and state lives in PostgreSQL when state_url is set (else in state_dir).
    client_keys: bool = False
    state_url: str | None = field(default=None, repr=False)
    # OAuth mode (oauth/): people sign in with the team's identity provider; the access file
    # maps them to the Stripe keys this server holds. As read at start (the guard re-reads it).
    oauth: AccessFile | None = field(default=None, repr=False)

    @property
    def live(self) -> bool:
        return self.key is not None and self.key.mode == "live"

    @property
    def team(self) -> bool:
        """Clients other than the server's own user: their requests may not reach its machine's
        own network (send_test_webhook) unless the operator allows private targets."""
        return self.client_keys or self.remote_clients or self.oauth is not None

    @property
    def receives_webhooks(self) -> bool:
        """`POST /webhooks/stripe` is served and can verify deliveries (a secret is set)."""
        return self.webhook_receiver and bool(self.webhook_secrets)

    @property
    def confirms(self) -> bool:
        """Money-moving and destructive calls need the user's yes: always live, opt-in in test mode.
        With client keys and --allow-live any request may be live, so every one is confirmed."""
        if self.oauth is not None:  # per person at call time (confirm.py); here: may any need it
            return self.confirm_writes or self.oauth.any_confirms or self.oauth.any_live
        return self.live or self.confirm_writes or (self.client_keys and self.allow_live)


def flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    toolsets: str | None = None,
    read_only: bool = False,
    allow_live: bool = False,
    state_dir: str | None = None,
    stripe_account: str | None = None,
    known_toolsets: frozenset[str] | None = None,
    confirm_writes: bool = False,
    connect: bool = False,
    max_amount: str | None = None,
    max_daily_refunds: str | None = None,
    replay_window_seconds: int | None = None,
    webhook_receiver: bool = False,
    allow_webhook_hosts: Sequence[str] | None = None,
    sandbox: bool = False,
    client_keys: bool = False,
    state_url: str | None = None,
    access_file: str | None = None,
    allow_private_webhook_targets: bool = False,
    remote_clients: bool = False,
) -> Settings:
    """Merge flags over the environment (STRIPE_SECRET_KEY, then STRIPE_API_KEY) and validate."""
    env = os.environ if env is None else env
    client_keys = client_keys or flag(env, "STRIPE_POWER_CLIENT_KEYS")
    key = api_key or env.get("STRIPE_SECRET_KEY") or env.get("STRIPE_API_KEY")
    allow_live = allow_live or flag(env, "STRIPE_POWER_ALLOW_LIVE")
    access_file = access_file or env.get("STRIPE_POWER_ACCESS_FILE") or None
    selected = parse_toolsets(toolsets or env.get("STRIPE_POWER_TOOLSETS"), known_toolsets)
    oauth: AccessFile | None = None
    if access_file:  # OAuth mode: the keys come from the access file, per person
        oauth = load_oauth(
            access_file, key, env, client_keys=client_keys, webhook_receiver=webhook_receiver,
            allow_live=allow_live, known_toolsets=known_toolsets, base_toolsets=selected,
        )  # fmt: skip
        selected = oauth.toolsets  # registered: every toolset some rule grants
        key, info = "", None
    elif client_keys:
        check_client_keys_mode(key, env, webhook_receiver=webhook_receiver)
        key, info = "", None
    elif not key:
        raise ConfigError(
            "No Stripe key: set STRIPE_SECRET_KEY to a test or restricted key (rk_test_... is best), "
            "or run `stripe-power serve --sandbox` to use the offline sandbox."
        )
    else:
        info = inspect_key(key, allow_live=allow_live)
    url = state_url or env.get("STRIPE_POWER_STATE_URL") or None
    base = api_base or env.get("STRIPE_API_BASE")
    account = stripe_account or env.get("STRIPE_ACCOUNT") or None
    if account is not None and not account.startswith("acct_"):
        raise ConfigError(f"--stripe-account {account!r} must be a connected account id (acct_...).")
    return Settings(
        api_key=key.strip(),
        key=info,
        client_keys=client_keys,
        state_url=check_state_url(url) if url else None,
        api_base=check_api_base(base) if base else None,
        toolsets=selected,
        read_only=read_only or flag(env, "STRIPE_POWER_READ_ONLY"),
        allow_live=allow_live,
        state_dir=Path(state_dir) if state_dir else default_state_dir(env),
        stripe_account=account,
        confirm_writes=confirm_writes or flag(env, "STRIPE_POWER_CONFIRM_WRITES"),
        connect=connect or flag(env, "STRIPE_POWER_CONNECT"),
        max_amount=parse_amounts("--max-amount", max_amount or env.get("STRIPE_POWER_MAX_AMOUNT")),
        max_daily_refunds=parse_amounts(
            "--max-daily-refunds", max_daily_refunds or env.get("STRIPE_POWER_MAX_DAILY_REFUNDS")
        ),
        replay_window_seconds=replay_window_seconds
        if replay_window_seconds is not None
        else int(env.get("STRIPE_POWER_REPLAY_WINDOW", "120") or 0),
        webhook_secrets=parse_webhook_secrets(env.get("STRIPE_WEBHOOK_SECRET")),
        webhook_receiver=webhook_receiver,
        allow_webhook_hosts=parse_hosts(
            [*(allow_webhook_hosts or []), *env.get("STRIPE_POWER_ALLOW_WEBHOOK_HOSTS", "").split(",")]
        ),
        sandbox=sandbox,
        oauth=oauth,
        allow_private_webhook_targets=allow_private_webhook_targets
        or flag(env, "STRIPE_POWER_ALLOW_PRIVATE_WEBHOOK_TARGETS"),
        remote_clients=remote_clients,
    )


def load_oauth(
    path: str,
    key: str | None,
    env: Mapping[str, str],
    *,
    client_keys: bool,
    webhook_receiver: bool,
    allow_live: bool,
    known_toolsets: frozenset[str] | None,
    base_toolsets: frozenset[str] | None,
) -> AccessFile:
    """OAuth mode: HTTP only, and the Stripe keys are the access file's (none on the server)."""
    from .oauth.access_file import load_access_file

    if client_keys:
        raise ConfigError("--access-file and --client-keys are two ways to sign in; choose one.")
    if key:
        raise ConfigError(
            "--access-file: the Stripe keys are named in the access file's [keys]; unset "
            "STRIPE_SECRET_KEY/--api-key and drop --sandbox."
        )
    if not webhook_receiver:
        raise ConfigError("--access-file works with --transport http only (people sign in over HTTP).")
    if env.get("STRIPE_WEBHOOK_SECRET"):
        raise ConfigError(
            "--access-file: unset STRIPE_WEBHOOK_SECRET; one receiver cannot tell whose key an event "
            "belongs to (wait_for_event reads each person's events from the Events API)."
        )
    return load_access_file(
        Path(path), allow_live=allow_live, env=env, known_toolsets=known_toolsets, base_toolsets=base_toolsets
    )


def check_client_keys_mode(key: str | None, env: Mapping[str, str], *, webhook_receiver: bool) -> None:
    """With client keys the server holds no Stripe key, serves HTTP only, and has no webhook
    receiver (one signing secret cannot say which client's account an event belongs to)."""
    if key:
        raise ConfigError(
            "--client-keys: the server holds no Stripe key; unset STRIPE_SECRET_KEY/--api-key and drop "
            "--sandbox (each request sends its own key as Authorization: Bearer <key>)."
        )
    if not webhook_receiver:
        raise ConfigError("--client-keys works with --transport http only (the key comes with each request).")
    if env.get("STRIPE_WEBHOOK_SECRET"):
        raise ConfigError(
            "--client-keys: unset STRIPE_WEBHOOK_SECRET; one receiver cannot tell which client an event "
            "belongs to (wait_for_event reads each client's own events from the Events API)."
        )


def parse_webhook_secrets(value: str | None) -> tuple[str, ...]:
    """STRIPE_WEBHOOK_SECRET: one signing secret, or several comma-separated during a rollover."""
    secrets = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    if any(len(secret.split()) != 1 for secret in secrets):
        raise ConfigError(
            "STRIPE_WEBHOOK_SECRET must be whsec_... signing secrets separated by commas (no spaces inside)."
        )
    return secrets


def parse_hosts(values: Sequence[str]) -> frozenset[str]:
    """--allow-webhook-host: bare host names (no scheme, port or path), lowercased."""
    hosts = frozenset(value.strip().lower() for value in values if value.strip())
    for host in hosts:
        if not re.fullmatch(r"[a-z0-9.\-]+|\[[0-9a-f:.]+\]|[0-9a-f:.]+", host):
            raise ConfigError(
                f"--allow-webhook-host {host!r}: give a bare host name like hooks.example.com "
                "(no scheme, port or path)."
            )
    return frozenset(host.strip("[]") for host in hosts)  # IPv6 as URLs' parsers give it: ::1


def parse_amounts(option: str, value: str | None) -> dict[str, int]:
    """`50000` (any currency) or `usd:50000,eur:40000`, in minor units."""
    if not value:
        return {}
    limits: dict[str, int] = {}
    for part in value.split(","):
        currency, _, amount = part.strip().rpartition(":")
        currency = currency.lower() or "*"
        if not amount.isdigit() or not (currency == "*" or (len(currency) == 3 and currency.isalpha())):
            raise ConfigError(
                f"{option} {value!r}: use a whole amount in minor units, optionally per currency, "
                "like 50000 or usd:50000,eur:40000."
            )
        limits[currency] = int(amount)
    return limits


def parse_toolsets(value: str | None, known: frozenset[str] | None) -> frozenset[str] | None:
    """`--toolsets`: None (every tool) for `all`; the `default` set when not given; otherwise
    the named toolsets (`default,invoices` adds invoices to the default set)."""
    if value is None or not value.strip():
        return frozenset({"default"})
    names = frozenset(part.strip() for part in value.split(",") if part.strip())
    if "all" in names:
        return None
    if known is not None and (unknown := sorted(names - known)):
        raise ConfigError(
            f"--toolsets: unknown toolset(s) {', '.join(unknown)}. Known: all, {', '.join(sorted(known))}."
        )
    return names
