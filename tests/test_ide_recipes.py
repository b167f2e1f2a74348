"""Each IDE recipe in README.md, parsed as its IDE reads it and started as it says (issue 28 item 12).

Kiro (`.kiro/settings/mcp.json`, `${VAR}`), Claude Code (`claude mcp add ...` and the `.mcp.json`
it writes, `${VAR}`), Cursor (`.cursor/mcp.json`, `${env:VAR}`) and VS Code (`.vscode/mcp.json`:
`servers`, and `inputs` that prompt for the key as a password, `${input:id}`). Each one runs as a
subprocess over stdio and must list the default tools. The power's mcp.json auto-approves exactly
the tools the server it starts marks read-only.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from stripe_power.hints import Listing

from .conftest import ROOT, new_key

README = (ROOT / "README.md").read_text(encoding="utf-8")
FILES = dict(re.findall(r"```json file=(\S+)\n(.*?)```", README, re.DOTALL))
CLAUDE = re.search(r"```sh claude-code\n(.*?)```", README, re.DOTALL)

# How each IDE writes "the value of the environment variable NAME" (VS Code: the prompted input).
SYNTAX = {
    ".kiro/settings/mcp.json": r"\$\{(\w+)\}",
    ".mcp.json": r"\$\{(\w+)\}",
    ".cursor/mcp.json": r"\$\{env:(\w+)\}",
    ".vscode/mcp.json": r"\$\{input:([\w-]+)\}",
}


def test_every_ide_has_its_recipe() -> None:
    assert set(FILES) == set(SYNTAX)
    assert CLAUDE is not None


def entry_of(name: str) -> dict[str, Any]:
    config = json.loads(FILES[name])
    key = "servers" if name == ".vscode/mcp.json" else "mcpServers"
    assert set(config) <= {key, "inputs"}, (name, set(config))
    entry: dict[str, Any] = config[key]["stripe"]
    return entry


def vscode_inputs() -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in json.loads(FILES[".vscode/mcp.json"])["inputs"]}


def claude_code_entry() -> dict[str, Any]:
    """`claude mcp add [options] <name> -- <command> [args...]`, read as Claude Code reads it."""
    assert CLAUDE is not None
    words = shlex.split(CLAUDE.group(1))
    assert words[:3] == ["claude", "mcp", "add"]
    options, command = words[3 : words.index("--")], words[words.index("--") + 1 :]
    env: dict[str, str] = {}
    name = None
    scope = transport = None
    index = 0
    while index < len(options):
        word = options[index]
        if word in ("--env", "-e"):
            key, _, value = options[index + 1].partition("=")
            env[key] = value
            index += 2
        elif word in ("--scope", "-s"):
            scope = options[index + 1]
            index += 2
        elif word in ("--transport", "-t"):
            transport = options[index + 1]
            index += 2
        else:
            assert not word.startswith("-"), word
            name = word
            index += 1
    assert (name, scope, transport) == ("stripe", "project", "stdio")
    return {"type": "stdio", "command": command[0], "args": command[1:], "env": env}


def params_for(
    entry: dict[str, Any], syntax: str, values: dict[str, str], state: Path
) -> StdioServerParameters:
    """The subprocess the IDE starts: its command on PATH (the test's virtualenv), and only the
    environment the entry gives it (plus where to keep state)."""
    env = {
        name: re.sub(syntax, lambda m: values[m.group(1)], value)
        for name, value in entry.get("env", {}).items()
    }
    bin_dir = str(Path(sys.executable).parent)
    return StdioServerParameters(
        command=entry["command"],
        args=entry["args"],
        env={**env, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "STRIPE_POWER_STATE_DIR": str(state)},
    )


def recipes() -> list[tuple[str, dict[str, Any]]]:
    return [*((name, entry_of(name)) for name in SYNTAX), ("claude mcp add", claude_code_entry())]


@pytest.mark.parametrize(("name", "entry"), recipes(), ids=lambda v: v if isinstance(v, str) else "")
async def test_recipe_starts_the_server_over_stdio(name: str, entry: dict[str, Any], tmp_path: Path) -> None:
    key = new_key()
    if name == ".vscode/mcp.json":
        assert entry["type"] == "stdio"
        (input_id,) = re.findall(SYNTAX[name], entry["env"]["STRIPE_SECRET_KEY"])
        prompt = vscode_inputs()[input_id]
        assert prompt["type"] == "promptString" and prompt["password"] is True
        values = {input_id: key}  # what the user types at the prompt
    else:
        values = {"STRIPE_SECRET_KEY": key}
    syntax = SYNTAX.get(name, r"\$\{(\w+)\}")
    async with Client(params_for(entry, syntax, values, tmp_path), mode="legacy") as client:
        assert client.server_info is not None and client.server_info.name == "stripe-power"
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == Listing.default().tools
    if "autoApprove" in entry:
        reads = [tool.name for tool in tools if tool.annotations and tool.annotations.read_only_hint]
        assert entry["autoApprove"] == reads


def test_claude_code_writes_what_the_readme_shows() -> None:
    assert claude_code_entry() == entry_of(".mcp.json")


def test_the_power_and_the_kiro_recipe_are_one_config() -> None:
    """The power's mcp.json is what the Kiro recipe shows (whose server, started above, marks exactly
    its autoApprove tools read-only), and it auto-approves no write."""
    power = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["stripe"]
    assert power == entry_of(".kiro/settings/mcp.json")
    assert power["disabled"] is False and power["autoApprove"]
    assert not {"call_stripe_api", "create_refund", "create_payment_intent"} & set(power["autoApprove"])
