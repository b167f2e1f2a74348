"""HTTP on a non-loopback address needs a strong token and an explicit Host list (issue 13, class 6)."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx2
import pytest

from stripe_power.cli import main
from stripe_power.errors import ConfigError
from stripe_power.http import check_exposure, create_http_app
from stripe_power.server import create_server

from .conftest import new_key, settings_for
from .servers import free_port, serve_in_thread
from .test_http import HEADERS, INIT

STRONG = "Zx9-" + "k3Qp8vR2mW7tY5nB1cL6dF4gH0jA9sEe"
WEAK = ["Q7z", "sh0rt-T0ken", "a" * 31, "ab" * 20]  # too short, or long but with almost no variety
EXPOSED = ["0.0.0.0", "::", "192.0.2.10", "mcp.example.com"]


@pytest.mark.parametrize(
    ("host", "token", "allowed"),
    [
        *(
            (host, token, allowed)
            for host, token, allowed in itertools.product(EXPOSED, WEAK, ["", "mcp.example.com"])
        ),
        *((host, STRONG, "") for host in EXPOSED),
    ],
)
def test_exposed_http_without_a_strong_token_and_hosts_exits_2_with_one_line(
    host: str, token: str, allowed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the server would have started on an exposed address")

    monkeypatch.setattr("uvicorn.run", never)  # a regression fails here instead of binding
    monkeypatch.setenv("STRIPE_SECRET_KEY", new_key())
    monkeypatch.setenv("STRIPE_POWER_HTTP_TOKEN", token)
    monkeypatch.setenv("STRIPE_POWER_ALLOWED_HOSTS", allowed)
    assert main(["serve", "--transport", "http", "--host", host, "--port", "9"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("stripe-power: HTTP on non-loopback address")
    if token != STRONG:
        assert "at least 32 random characters" in err and token not in err
    if not allowed:
        assert "--allowed-host" in err


def test_loopback_and_a_guarded_exposed_bind_are_accepted() -> None:
    check_exposure("127.0.0.1", "short-but-loopback", [])
    check_exposure("0.0.0.0", STRONG, ["mcp.example.com"])
    with pytest.raises(ConfigError):
        check_exposure("0.0.0.0", None, ["mcp.example.com"])
    # client keys: each client's Stripe key is its token, but the Host list is still required
    check_exposure("0.0.0.0", None, ["mcp.example.com"], client_keys=True)
    with pytest.raises(ConfigError, match="--allowed-host"):
        check_exposure("0.0.0.0", None, [], client_keys=True)


def test_bad_allowed_host_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda *_a, **_k: None)
    monkeypatch.setenv("STRIPE_POWER_HTTP_TOKEN", STRONG)
    args = ["serve", "--transport", "http", "--host", "0.0.0.0", "--allowed-host", "https://x.example/mcp"]
    assert main(args) == 2
    assert "--allowed-host" in capsys.readouterr().err


def test_only_listed_hosts_pass_on_an_exposed_bind(tmp_path: Path) -> None:
    """Bound (in name) to 0.0.0.0: `Host: 0.0.0.0:PORT` is refused; a listed name is served."""
    port = free_port()
    server = create_server(settings_for("http://127.0.0.1:9", tmp_path))
    app = create_http_app(server, host="0.0.0.0", port=port, token=STRONG, allowed_hosts=["mcp.example.com"])
    auth = {"Authorization": f"Bearer {STRONG}"}
    with serve_in_thread(app, port) as url:
        wildcard = httpx2.post(f"{url}/mcp", json=INIT, headers=HEADERS | auth | {"Host": f"0.0.0.0:{port}"})
        loopback = httpx2.post(
            f"{url}/mcp", json=INIT, headers=HEADERS | auth | {"Host": f"127.0.0.1:{port}"}
        )
        listed = httpx2.post(f"{url}/mcp", json=INIT, headers=HEADERS | auth | {"Host": "mcp.example.com"})
    assert wildcard.status_code == 421 and loopback.status_code == 421
    assert listed.status_code == 200, listed.text[:200]
