"""The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
tests/external) against `stripe-power serve --transport http --sandbox`, started exactly as the
README says, behind a loopback proxy that adds the bearer token (the suite sends no headers).

Only the scenarios that apply to any server run: the others call the suite's own fixture tools,
resources and prompts (`test_simple_text`, ...), which this server does not have. 0.1.10 (the
newest line that runs on Node 20) has no DNS-rebinding scenario; tests/test_http.py covers that.
The same scenarios also run against OAuth mode, the proxy sending a real provider's access token.
With CI set, a missing node or package fails this test rather than skipping it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from .conftest import new_key
from .oidc import PACKAGE, openid_provider, write_access_file
from .servers import free_port
from .test_external_client import EXTERNAL, node_or_skip
from .test_oauth import RULES

SUITE = EXTERNAL / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "logging-set-level",
    "completion-complete",
]
START_TIMEOUT = 60


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@contextmanager
def stripe_power_http(
    token: str | None,
    state_dir: Path,
    *,
    port: int | None = None,
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`stripe-power serve --transport http`: with the embedded sandbox and a bearer token, or
    (OAuth mode) with `args` and `env` naming the access file and the sandbox."""
    port = port or free_port()
    command = [str(Path(sys.executable).parent / "stripe-power"), "serve", "--transport", "http"]
    command += [*(args or ["--sandbox"]), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "STRIPE_POWER_STATE_DIR": str(state_dir), **(env or {})}
    if token is not None:
        env["STRIPE_POWER_HTTP_TOKEN"] = token
    with running(command, env) as server:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, server.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "stripe-power did not start"
            try:
                if httpx2.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        yield url


@contextmanager
def auth_proxy(node: str, upstream: str, token: str) -> Iterator[str]:
    env = {**os.environ, "MCP_BEARER_TOKEN": token}
    with running([node, str(EXTERNAL / "auth_proxy.mjs"), upstream], env) as proxy:
        assert proxy.stdout is not None
        line = proxy.stdout.readline()
        assert line.startswith("listening "), line + (proxy.stderr.read() if proxy.stderr else "")
        yield f"http://127.0.0.1:{int(line.split()[1])}"


def test_official_conformance_scenarios_pass(tmp_path: Path) -> None:
    node = node_or_skip(SUITE)
    token = "conformance-" + uuid.uuid4().hex
    with stripe_power_http(token, tmp_path / "state") as upstream, auth_proxy(node, upstream, token) as proxy:
        outcomes = run_scenarios(node, proxy, tmp_path / "results")
    assert_all_passed(outcomes)


def test_official_conformance_scenarios_pass_in_oauth_mode(sandbox: Any, tmp_path: Path) -> None:
    """The same scenarios against OAuth mode (README "Serve a team with OAuth"): the proxy sends
    an access token the real provider issued to a person of the payments group."""
    node = node_or_skip(SUITE, PACKAGE)
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    with openid_provider() as idp:
        access_file = write_access_file(tmp_path / "team.toml", idp.issuer, resource, RULES)
        key_file = tmp_path / "support.key"
        key_file.write_text(new_key())
        key_file.chmod(0o600)
        env = {"KEY_PAYMENTS": new_key(), "STRIPE_API_BASE": sandbox.url}
        args = ["--access-file", str(access_file)]
        with stripe_power_http(None, tmp_path / "state", port=port, args=args, env=env) as upstream:
            with auth_proxy(node, upstream, idp.token("alice", resource)) as proxy:
                outcomes = run_scenarios(node, proxy, tmp_path / "results")
    assert_all_passed(outcomes)


Outcomes = dict[str, tuple[int, list[dict[str, object]], str]]


def run_scenarios(node: str, proxy: str, results: Path) -> Outcomes:
    outcomes: Outcomes = {}
    for scenario in SCENARIOS:
        run = subprocess.run(
            [node, str(SUITE), "server", "--url", f"{proxy}/mcp", "--scenario", scenario, "-o", str(results)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=EXTERNAL,
            check=False,
        )
        (checks_file,) = results.glob(f"server-{scenario}-*/checks.json")
        outcomes[scenario] = (run.returncode, json.loads(checks_file.read_text()), run.stdout[-1500:])
    return outcomes


def assert_all_passed(outcomes: Outcomes) -> None:
    failed = {
        name: output
        for name, (code, checks, output) in outcomes.items()
        if code != 0 or any(check["status"] == "FAILURE" for check in checks)
    }
    assert not failed, "\n\n".join(f"{name}:\n{output}" for name, output in failed.items())
    # Each scenario ran real checks, every one of them a success.
    for name, (_, checks, _) in outcomes.items():
        assert checks and all(check["status"] == "SUCCESS" for check in checks), (name, checks)
