"""The public tool contract: tools/list snapshots, names and order, and docs that match the code.

Regenerate deliberately with `UPDATE_SNAPSHOTS=1 pytest tests/test_contract.py` and
`python scripts/gen_docs.py`, then review the diff.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from mcp.types import ToolAnnotations

from stripe_power.docs import sync
from stripe_power.tools import TOOLSETS

from .conftest import ROOT, Connect

SNAPSHOTS = ROOT / "tests" / "snapshots"


def compact(tools: list[Any]) -> list[dict[str, Any]]:
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


def check_snapshot(name: str, data: Any) -> None:
    path = SNAPSHOTS / name
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.read_text() == text, f"{name} changed: review, then UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize(
    ("snapshot", "options"),
    [
        ("tools_list.json", {"toolsets": "default"}),
        ("tools_list_all.json", {}),
        ("tools_list_read_only.json", {"read_only": True}),
    ],
)
async def test_tools_list_snapshot(connect: Connect, snapshot: str, options: dict[str, Any]) -> None:
    async with connect(**options) as client:
        tools = (await client.list_tools()).tools
    check_snapshot(snapshot, compact(tools))


async def test_names_are_ordered_by_toolset_and_unique(connect: Connect) -> None:
    async with connect() as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    expected = [spec.name for ts in TOOLSETS for spec in ts.tools if spec.requires is None]
    assert names == expected
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("toolsets", ["default", "all"])
async def test_read_only_mode_lists_only_tools_marked_read_only(connect: Connect, toolsets: str) -> None:
    """Issue 14.13: clients auto-approve on readOnlyHint, so every tool listed in --read-only
    mode carries it, `call_stripe_api` included (it refuses every write in that mode)."""
    async with connect(read_only=True, toolsets=toolsets) as client:
        tools = (await client.list_tools()).tools
    assert "call_stripe_api" in {tool.name for tool in tools}
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
    async with connect(read_only=True, toolsets=toolsets) as client:
        refused = await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {"email": "a@b.co"}}
        )
    assert refused.is_error and "read-only" in refused.content[0].text  # type: ignore[union-attr]


async def test_every_tool_has_title_annotations_and_description(connect: Connect) -> None:
    """Annotations on the wire leave out what the MCP spec defaults to; what a client reads
    from them (defaults filled in) is exactly what the registry derives from the tool's kind,
    and a tool that can write always says explicitly whether it is destructive."""
    specs = {spec.name: spec for ts in TOOLSETS for spec in ts.tools}
    async with connect() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert tool.title and tool.description, tool.name
        hints = tool.annotations or ToolAnnotations()  # none at all: every hint at the spec default
        read_only = hints.read_only_hint is True
        understood = {
            "read_only": read_only,
            "destructive": not read_only and hints.destructive_hint is not False,
            "idempotent": not read_only and hints.idempotent_hint is True,
            "open_world": hints.open_world_hint is not False,
        }
        spec = specs[tool.name]
        assert (
            understood
            == spec.hints()
            == {
                "read_only": spec.kind == "read",
                "destructive": spec.kind in ("money", "destructive"),
                "idempotent": spec.kind != "read" and spec.idempotent,
                "open_world": not spec.local,
            }
        ), tool.name
        # A harmless write says so; a money-moving or destructive one is left at the careful default.
        assert read_only or (hints.destructive_hint is False) == (spec.kind in ("read", "write")), tool.name
        assert "anyOf" not in tool.input_schema and "oneOf" not in tool.input_schema


@pytest.mark.parametrize("document", ["README.md", "POWER.md", "docs/sandbox.md"])
def test_docs_match_the_registry(document: str) -> None:
    assert sync(ROOT / document, check=True), f"{document} is stale: run python scripts/gen_docs.py"


def test_power_md_frontmatter_has_exactly_the_kiro_fields() -> None:
    text = (ROOT / "POWER.md").read_text()
    assert text.startswith("---\n")
    front = text.split("---\n")[1]
    keys = [line.split(":")[0] for line in front.splitlines() if line and not line.startswith(" ")]
    assert keys == ["name", "displayName", "description", "keywords", "author"]


def test_mcp_json_matches_the_cli() -> None:
    entry = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["stripe"]
    assert entry["command"] == "stripe-power"
    assert entry["env"] == {"STRIPE_SECRET_KEY": "${STRIPE_SECRET_KEY}"}
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'stripe-power = "stripe_power.cli:main"' in pyproject


VERBS = (
    "create|retrieve|list|update|cancel|confirm|capture|expire|search|finalize|pay|send|void|resume|"
    "deactivate|detach|wait|verify|get|call|check"
)


@pytest.mark.parametrize("document", ["README.md", "POWER.md"])
def test_docs_name_only_real_tools(document: str) -> None:
    import re

    from stripe_power.prompts import PROMPTS

    names = {spec.name for ts in TOOLSETS for spec in ts.tools} | {p.__name__ for p in PROMPTS}
    mentioned = set(re.findall(rf"`((?:{VERBS})_[a-z_]+)`", (ROOT / document).read_text()))
    assert mentioned, document
    assert mentioned <= names, mentioned - names
