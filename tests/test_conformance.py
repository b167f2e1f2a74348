"""The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
tests/external) against `stripe-power serve --transport http --sandbox`, started exactly as the
README says, behind a loopback proxy that adds the bearer token (the suite sends no headers).

Only the scenarios that apply to any server run: the others call the suite's own fixture tools,
resources and prompts (`test_simple_text`, ...), which this server does not have. 0.1.10 (the
newest line that runs on Node 20) has no DNS-rebinding scenario; tests/test_http.py covers that.
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

import httpx2

from .servers import free_port
from .test_external_client import EXTERNAL, node_or_skip

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
def stripe_power_http(token: str, state_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "stripe-power"), "serve", "--transport", "http"]
    command += ["--sandbox", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "STRIPE_POWER_HTTP_TOKEN": token, "STRIPE_POWER_STATE_DIR": str(state_dir)}
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
    results = tmp_path / "results"
    outcomes: dict[str, tuple[int, list[dict[str, object]], str]] = {}
    with stripe_power_http(token, tmp_path / "state") as upstream, auth_proxy(node, upstream, token) as proxy:
        for scenario in SCENARIOS:
            run = subprocess.run(
                [
                    node,
                    str(SUITE),
                    "server",
                    "--url",
                    f"{proxy}/mcp",
                    "--scenario",
                    scenario,
                    "-o",
                    str(results),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=EXTERNAL,
                check=False,
            )
            (checks_file,) = results.glob(f"server-{scenario}-*/checks.json")
            outcomes[scenario] = (run.returncode, json.loads(checks_file.read_text()), run.stdout[-1500:])

    failed = {
        name: output
        for name, (code, checks, output) in outcomes.items()
        if code != 0 or any(check["status"] == "FAILURE" for check in checks)
    }
    assert not failed, "\n\n".join(f"{name}:\n{output}" for name, output in failed.items())
    # Each scenario ran real checks, every one of them a success.
    for name, (_, checks, _) in outcomes.items():
        assert checks and all(check["status"] == "SUCCESS" for check in checks), (name, checks)
