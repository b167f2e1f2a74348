"""Every tool-call example in README.md and the Kiro power's steering files runs as written
against the sandbox (issue 14 item 3, issue 28 item 11).

A ```json tool-call block is one call: `tool`, `arguments`, optionally `as` (a name for its
result), `expect` (what the result shows: a subset, lists matched item by item) or
`expect_error` (text the refusal or error carries). `"$name.path"` in an argument, anywhere in a
string, is that field of an earlier result (`$session.id`, `$invoices.data.0.id`); a bare
`"$customer"` in README.md is a customer made first. A steering file's blocks run in order in one
session, on the server the power's mcp.json starts (the default tools; with the sandbox, which
adds pay_checkout_session), and each names only a tool that server lists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stripe_power.hints import Listing

from .conftest import ROOT, Connect, error_text, payload

BLOCK = re.compile(r"```json tool-call\n(.*?)```", re.DOTALL)
REFERENCE = re.compile(r"\$([a-z_]+)((?:\.[A-Za-z0-9_]+)*)")
STEERING = sorted((ROOT / "steering").glob("*.md"))
WORKFLOWS = {
    "one-time-payments",
    "subscriptions-and-trials",
    "saving-cards",
    "refunds-and-disputes",
    "webhooks",
    "connect",
    "going-live",
    "testing",
}


def blocks(path: Path) -> list[dict[str, Any]]:
    return [json.loads(block) for block in BLOCK.findall(path.read_text(encoding="utf-8"))]


def test_each_workflow_has_its_steering_file_with_calls() -> None:
    assert {path.stem for path in STEERING} == WORKFLOWS
    for path in STEERING:
        assert len(blocks(path)) >= 2, path.name


def test_power_md_sends_the_agent_to_each_steering_file() -> None:
    power = (ROOT / "POWER.md").read_text(encoding="utf-8")
    for path in STEERING:
        assert f"`./steering/{path.name}`" in power, path.name
    assert not BLOCK.search(power), "workflows live in steering/, POWER.md keeps what every session needs"


def resolve(value: Any, saved: dict[str, Any]) -> Any:
    """`value` with every `$name.path` replaced by that field of a saved result (a whole-string
    reference keeps the field's type)."""
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(item, saved) for item in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        return field(saved, whole.group(1), whole.group(2))
    return REFERENCE.sub(lambda m: str(field(saved, m.group(1), m.group(2))), value)


def field(saved: dict[str, Any], name: str, path: str) -> Any:
    assert name in saved, f"${name} is used before a block names its result `as: {name}`"
    found = saved[name]
    for part in (path or ".id").strip(".").split("."):
        found = found[int(part)] if isinstance(found, list) else found[part]
    return found


def matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


async def run_blocks(client: Any, where: str, calls: list[dict[str, Any]], saved: dict[str, Any]) -> None:
    for number, call in enumerate(calls, 1):
        arguments = resolve(call.get("arguments", {}), saved)
        result = await client.call_tool(call["tool"], arguments)
        label = f"{where} block {number} ({call['tool']})"
        if "expect_error" in call:
            assert call["expect_error"] in error_text(result), (label, error_text(result))
            continue
        data = payload(result)
        assert "replayed" not in data, label
        expected = resolve(call.get("expect", {}), saved)
        assert matches(data, expected), (label, expected, data)
        if "as" in call:
            saved[call["as"]] = data


@pytest.mark.parametrize("path", STEERING, ids=lambda p: p.stem)
async def test_steering_file_runs_as_written(connect_sandbox: Connect, path: Path) -> None:
    listed = Listing.default(sandbox=True).tools
    calls = blocks(path)
    assert {call["tool"] for call in calls} <= listed, (
        "a steering file names only tools the power's server lists"
    )
    async with connect_sandbox(sandbox=True, toolsets="default") as client:
        await run_blocks(client, path.name, calls, {})


def readme_examples() -> list[dict[str, Any]]:
    return blocks(ROOT / "README.md")


@pytest.mark.parametrize("call", readme_examples(), ids=lambda v: v["tool"])
async def test_readme_example_runs_as_written(connect_sandbox: Connect, call: dict[str, Any]) -> None:
    async with connect_sandbox(sandbox=True) as client:
        customer = payload(await client.call_tool("create_customer", {"email": "doc@example.com"}))
        arguments = json.loads(
            json.dumps(call["arguments"]).replace('"$customer"', json.dumps(customer["id"]))
        )
        result = payload(await client.call_tool(call["tool"], arguments))
    assert result["id"]
    assert "replayed" not in result


def test_examples_are_in_stripes_shapes() -> None:
    """Each call's arguments, as Stripe's spec reads them for the endpoint the tool calls."""
    from stripe_power import spec
    from stripe_power.hints import as_request

    checked = 0
    for path in [ROOT / "README.md", *STEERING]:
        for call in blocks(path):
            request = as_request(call["tool"], call.get("arguments", {}))
            if request is None:
                continue  # the sandbox's own helper (pay_checkout_session)
            method, url, params = request
            op = spec.resolve(method, re.sub(r"\$[a-z_.0-9A-Z]+", "x_1", url))
            assert op is not None, (path.name, call)
            problems = [p for p in spec.check(op, params) if "$" not in str(p.message)]
            assert problems == [], (path.name, call, problems)
            checked += 1
    assert checked > 40


def test_power_docs_name_only_tools_the_power_lists() -> None:
    """POWER.md and the steering files are read by an agent on the power's server: every tool they
    name is one that server lists (the default tools; with the sandbox, its test helper), and none
    tells the agent to restart its own server with other toolsets."""
    listed = Listing.default(sandbox=True).tools
    from stripe_power.tools import TOOLSETS

    every = {spec.name for ts in TOOLSETS for spec in ts.tools}
    for path in [ROOT / "POWER.md", *STEERING]:
        text = path.read_text(encoding="utf-8")
        named = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)) & every
        assert named <= listed, (path.name, named - listed)
        assert "--toolsets" not in text, path.name
