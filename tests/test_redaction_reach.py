"""Redaction where a caller puts secrets in odd places: a key glued to a word (`mykeysk_test_...`,
`x_whsec_...`), a key as a dict key (a metadata key, a parameter name), and values the spec check
echoes (`Invalid integer: ...`). None may reach a tool result, an error, the audit log or any
dashboard page."""

from __future__ import annotations

import html
import os
import re
import sys
import uuid
from typing import Any

import httpx
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from stripe_power.audit import redact, redact_text

from .conftest import Connect, new_key


def _secrets() -> tuple[str, str, str]:
    body = uuid.uuid4().hex
    return f"sk_test_GLUE{body}", f"whsec_GLUE{body[:22]}", f"pi_3Abc_secret_GLUE{body[:20]}"


def test_redact_removes_keys_glued_to_words_and_in_dict_keys() -> None:
    key, whsec, client_secret = _secrets()
    for text in (f"mykey{key}", f"x_{whsec}", f"note:{key}.", f"a{client_secret}"):
        assert "GLUE" not in redact_text(text), text
    shown = redact({"metadata": {key: "1", f"k{whsec}": {"deep": [f"v{key}"]}}})
    assert "GLUE" not in repr(shown)
    # Ordinary text and ids stay as they were.
    assert redact_text("cus_123 pi_123 seti_123 whsec") == "cus_123 pi_123 seti_123 whsec"


async def test_secrets_in_metadata_keys_glued_or_echoed_never_reach_results_audit_or_dashboard(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, tmp_path: Any
) -> None:
    key, whsec, client_secret = _secrets()
    audit = tmp_path / "state" / "audit.jsonl"
    audit.parent.mkdir(parents=True, exist_ok=True)
    audit.touch()
    sandbox.watch_audit_log(sandbox_key, audit)
    calls: list[dict[str, Any]] = [
        # Accepted by Stripe (a metadata key has at most 40 characters: a webhook secret fits); the
        # secrets are stored on the customer and echoed back.
        {"method": "POST", "path": "/v1/customers",
         "params": {"metadata": {whsec: "v", "note": f"mykey{key}", "hook": f"x_{whsec}"},
                    "description": f"cs{client_secret}"}},
        # Refused by the spec check: the parameter name, or the value it quotes, holds the secret.
        {"method": "POST", "path": "/v1/customers", "params": {f"prefix{key}": "1"}},
        {"method": "POST", "path": "/v1/customers", "params": {"metadata": {"a": {key: "nested"}}}},
        {"method": "GET", "path": "/v1/customers", "params": {"limit": f"n{whsec}"}},
        {"method": "POST", "path": "/v1/customers", "params": {"balance": f"1{key}"}},
        # Sent (Stripe answers 404): the request log shows the path.
        {"method": "GET", "path": f"/v1/customers/{key}", "params": {}},
    ]  # fmt: skip
    seen: list[tuple[str, str]] = []
    async with connect_sandbox() as client:
        for arguments in calls:
            result = await client.call_tool("call_stripe_api", arguments)
            seen.append((f"result {arguments['params']}", result.model_dump_json()))
        # describe_stripe_api quotes the path and the parameter it does not know.
        for described in (
            {"method": "GET", "path": f"/v1/customers/x{key}/nope"},
            {"method": "POST", "path": "/v1/customers", "param": f"metadata.{whsec}x"},
        ):
            result = await client.call_tool("describe_stripe_api", described)
            assert result.is_error
            seen.append((f"describe {described}", result.model_dump_json()))
    assert '"cus_' in seen[0][1] and all('is_error":true' in s for _, s in seen[1:]), seen
    seen += [("audit", line) for line in audit.read_text().splitlines()]
    base = f"/dashboard/{sandbox.sandbox.state.accounts[sandbox_key].id}"
    pages: dict[str, str] = {}
    frontier = [base]
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as browser:
        while frontier and len(pages) < 60:
            path = frontier.pop(0)
            if path in pages:
                continue
            response = await browser.get(path)
            assert response.status_code == 200, path
            pages[path] = response.text
            links = [html.unescape(h) for h in re.findall(r"href='([^']+)'", response.text)]
            frontier += [p for p in links if p.startswith(base)]
    assert any("/requests/req_" in p for p in pages) and any("/objects/cus_" in p for p in pages)
    seen += [(f"dashboard {p}", html.unescape(text)) for p, text in pages.items()]
    leaked = [f"{where}: {text[:300]}" for where, text in seen if "GLUE" in text]
    assert not leaked, "\n".join(leaked)


async def test_server_log_lines_on_stderr_redact_a_key_in_a_path(sandbox: Any, tmp_path: Any) -> None:
    """The text log format (the default) redacts as the JSON one does: a refused request's log line
    names its path, which a caller may have put a key in."""
    key, _, _ = _secrets()
    errlog = tmp_path / "stderr.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "STRIPE_SECRET_KEY": new_key(),
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_POWER_STATE_DIR": str(tmp_path / "state"),
        "STRIPE_POWER_LOG_LEVEL": "DEBUG",
    }
    command = f'exec "{sys.executable}" -m stripe_power serve 2>"{errlog}"'
    async with Client(StdioServerParameters(command="sh", args=["-c", command], env=env)) as client:
        refused = await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": f"/v1/sources/{key}", "params": {}}
        )
    assert refused.is_error and "sources-api" in refused.content[0].text  # type: ignore[union-attr]
    stderr = errlog.read_text()
    assert "refused POST /v1/sources/sk_test_" in stderr, stderr[-2000:]
    assert "GLUE" not in stderr, stderr[-2000:]
