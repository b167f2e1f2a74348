"""Start-up refusals: one clear line on stderr, non-zero exit, and never the key itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stripe_power.config import check_api_base, inspect_key, load_settings, mask_key
from stripe_power.errors import ConfigError

BODY = "Ab3dEf6hIj9kLm2nOp5qRs8t"  # looks like a key body; must never be printed


@pytest.mark.parametrize(
    ("key", "mode", "kind"),
    [(f"sk_test_{BODY}", "test", "secret"), (f"rk_test_{BODY}", "test", "restricted")],
)
def test_test_keys_are_detected(key: str, mode: str, kind: str) -> None:
    info = inspect_key(key, allow_live=False)
    assert (info.mode, info.kind) == (mode, kind)
    assert info.masked == key[:8] + "…" + key[-4:]


def test_live_key_needs_opt_in() -> None:
    with pytest.raises(ConfigError, match="--allow-live"):
        inspect_key(f"sk_live_{BODY}", allow_live=False)
    assert inspect_key(f"rk_live_{BODY}", allow_live=True).mode == "live"
    settings = load_settings({"STRIPE_API_KEY": f"rk_live_{BODY}", "STRIPE_POWER_ALLOW_LIVE": "1"})
    assert settings.live
    assert BODY not in repr(settings)


@pytest.mark.parametrize(
    "api_base", ["http://example.com", "ftp://127.0.0.1", "https://x.test/v1", "http://10.0.0.1:80"]
)
def test_api_base_must_be_https_or_loopback(api_base: str) -> None:
    with pytest.raises(ConfigError, match="--api-base"):
        check_api_base(api_base)
    assert check_api_base("http://127.0.0.1:12111/") == "http://127.0.0.1:12111"


def test_unknown_toolset_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown toolset\\(s\\) nope"):
        load_settings({"STRIPE_SECRET_KEY": f"sk_test_{BODY}"}, toolsets="customers,nope",
                      known_toolsets=frozenset({"customers"}))  # fmt: skip


def test_mask_never_reveals_more_than_prefix_and_last_four() -> None:
    assert mask_key(f"sk_test_{BODY}") == "sk_test_…8t".replace("8t", BODY[-4:])
    assert mask_key("short") == "…"


@pytest.mark.parametrize(
    ("env_key", "expected"),
    [
        (None, "No Stripe key"),
        (f"pk_test_{BODY}", "publishable-key"),
        (f"sk_live_{BODY}", "live key"),
        (f"garbage_{BODY}", "not a Stripe secret or restricted key"),
        (f"sk_test_{BODY} x", "not a Stripe secret or restricted key"),
    ],
)
def test_cli_refusals_exit_nonzero_with_one_line(tmp_path: Path, env_key: str | None, expected: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if env_key:
        env["STRIPE_SECRET_KEY"] = env_key
    done = subprocess.run(
        [sys.executable, "-m", "stripe_power", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if line.startswith("stripe-power:")]
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert BODY not in done.stderr
