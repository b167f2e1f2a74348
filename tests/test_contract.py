"""The public tool contract: tools/list snapshots, names and order, and docs that match the code.

Regenerate deliberately with `UPDATE_SNAPSHOTS=1 pytest tests/test_contract.py` and
`python scripts/gen_docs.py`, then review the diff.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

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
    ("snapshot", "options"), [("tools_list.json", {}), ("tools_list_read_only.json", {"read_only": True})]
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


async def test_read_only_lists_only_read_tools(connect: Connect) -> None:
    async with connect(read_only=True) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint or tool.name == "call_stripe_api", tool.name


async def test_every_tool_has_title_annotations_and_description(connect: Connect) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert tool.title and tool.description, tool.name
        hints = tool.annotations
        assert hints is not None
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        )
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
