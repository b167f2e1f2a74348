"""The published input schemas (issue 14.8): the lean schema drops id patterns, so each id
parameter's description states its prefix; checked against the full models of every tool."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stripe_power.server import build_tools, id_prefixes

from .conftest import mcp_client, settings_for
from .fakes import RecordingStripe

ID = re.compile(r"\^(?:\(\?:[a-z|]+\)|[a-z]+)_")


def id_params(full: dict[str, Any], node: Any, at: str = "") -> dict[str, str]:
    """path -> pattern of every string parameter with an id pattern, at any depth of the full schema."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        if "$ref" in node:
            return id_params(full, full["$defs"][node["$ref"].rsplit("/", 1)[-1]], at)
        pattern = node.get("pattern")
        if isinstance(pattern, str) and ID.match(pattern):
            found[at] = pattern
        for option in node.get("anyOf", []):
            found |= id_params(full, option, at)
        for name, child in node.get("properties", {}).items():
            found |= id_params(full, child, f"{at}.{name}" if at else name)
        if isinstance(node.get("items"), dict):
            found |= id_params(full, node["items"], f"{at}[]")
    return found


def wire_node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node = schema
    for part in path.split("."):
        name, items = part.removesuffix("[]"), part.endswith("[]")
        node = node["properties"][name]
        if items:
            node = node["items"]
    return node


async def test_every_id_parameter_states_its_prefix(fake: RecordingStripe, tmp_path: Path) -> None:
    settings = settings_for(fake.url, tmp_path)
    async with mcp_client(settings) as client:
        wire = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    checked = 0
    for tool in build_tools(settings, structured_output=False):
        full = tool.fn_metadata.arg_model.model_json_schema()
        for path, pattern in id_params(full, full).items():
            prefix = id_prefixes(pattern)
            assert prefix is not None, (tool.name, path, pattern)
            description = wire_node(wire[tool.name], path).get("description", "")
            assert prefix.split(" ")[0].removesuffix("...") in description, (tool.name, path, description)
            checked += 1
    assert checked >= 60  # customer, payment_intent, price, ... across all tools


def test_prefixes_read_from_patterns() -> None:
    assert id_prefixes(r"^cus_[A-Za-z0-9_]+$") == "cus_..."
    assert id_prefixes(r"^(?:ch|py)_[A-Za-z0-9_]+$") == "ch_... or py_..."
    assert id_prefixes(r"^acct_[A-Za-z0-9]+$") == "acct_..."
    assert id_prefixes(r"^[a-z]+_[A-Za-z0-9_]+$") is None  # a cursor: any object's id
    assert id_prefixes(r"^[a-z]{3}$") is None
