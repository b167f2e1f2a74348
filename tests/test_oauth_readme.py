"""README "Serve a team with OAuth", followed as written: its access file, its command (as a
subprocess), and a developer whose client knows only the URL from its `mcp.json` signs in through
the real provider with the TypeScript SDK; then its way to revoke a person.

What must change to run here is changed and nothing else: the provider's issuer and the server's
URL (both on loopback ports), the key values, and the key file's folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from .conftest import new_key
from .oidc import openid_provider
from .servers import free_port
from .test_oauth import MCP_HEADERS, PING, run_oauth_client

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Serve a team with OAuth\n", 1)[1].split("\n## ", 1)[0]


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", SECTION, flags=re.DOTALL)
    assert found, f"no {language} block in the README section"
    return found.group(1)


def test_the_readme_section_works_as_written(sandbox: Any, tmp_path: Path) -> None:
    access_file, command, mcp_json = block("toml"), block("sh"), json.loads(block("json"))
    (server,) = mcp_json["mcpServers"].values()
    assert set(server) == {"url"}  # the developer holds nothing but the URL
    port = free_port()
    local = f"http://127.0.0.1:{port}/mcp"
    payments, support = new_key(), new_key()
    with openid_provider() as idp:
        text = access_file.replace("https://login.example.com", idp.issuer).replace(server["url"], local)
        (tmp_path / "team.toml").write_text(text)
        key_file = tmp_path / "support.key"
        key_file.write_text(support + "\n")
        key_file.chmod(0o600)
        # The command as written, with the key's value and this test's port and sandbox.
        env_part, _, argv = command.strip().partition(" stripe-power ")
        assert env_part == "STRIPE_KEY_PAYMENTS=rk_test_..."
        args = argv.replace("--port 8000", f"--port {port}").split()
        env = {**os.environ, "STRIPE_KEY_PAYMENTS": payments, "STRIPE_API_BASE": sandbox.url,
               "STRIPE_POWER_STATE_DIR": str(tmp_path / "state")}  # fmt: skip
        for name in ("STRIPE_SECRET_KEY", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"):
            env.pop(name, None)
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "stripe-power"), *args],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_healthy(process, f"http://127.0.0.1:{port}")
            alice = run_oauth_client(
                local, "alice", [{"name": "create_customer", "arguments": {"email": "a@example.com"}}]
            )
            carol = run_oauth_client(local, "carol", [])
            # Revoke a person as the README says: add their sub to `revoked` and save.
            (tmp_path / "team.toml").write_text(text.replace("revoked = []", 'revoked = ["alice"]'))
            revoked = httpx2.post(
                local,
                headers={**MCP_HEADERS, "Authorization": f"Bearer {idp.token('alice', local)}"},
                json=PING,
            )
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=20)
    made = json.loads(alice["results"][0]["content"][0]["text"])
    assert [c["id"] for c in sandbox.objects(payments, "customer")] == [made["id"]]
    assert "create_invoice" in alice["tools"]  # the payments rule's toolsets: default and invoices
    assert "create_customer" not in carol["tools"] and "list_customers" in carol["tools"]
    assert revoked.status_code == 403 and "was revoked" in revoked.json()["error_description"]
    assert payments not in stderr and support not in stderr
    assert "OAuth mode" in stderr


def wait_healthy(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "stripe-power did not start"
        try:
            if httpx2.get(f"{base}/healthz").status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.1)
