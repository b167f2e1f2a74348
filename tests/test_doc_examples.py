"""Every tool-call example in README.md and POWER.md runs as written against the sandbox (issue 14,
item 3): each ```json tool-call block is a call; `$customer` stands for a customer made first."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import ROOT, Connect, payload

BLOCK = re.compile(r"```json tool-call\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name in ("README.md", "POWER.md"):
        for block in BLOCK.findall((ROOT / name).read_text(encoding="utf-8")):
            found.append((name, json.loads(block)))
    return found


def test_both_files_have_examples() -> None:
    assert {name for name, _ in examples()} == {"README.md", "POWER.md"}


@pytest.mark.parametrize(("where", "call"), examples(), ids=lambda v: v if isinstance(v, str) else v["tool"])
async def test_example_runs_as_written(connect_sandbox: Connect, where: str, call: dict[str, Any]) -> None:
    async with connect_sandbox(sandbox=True) as client:
        customer = payload(await client.call_tool("create_customer", {"email": "doc@example.com"}))["id"]
        arguments = json.loads(json.dumps(call["arguments"]).replace('"$customer"', json.dumps(customer)))
        result = payload(await client.call_tool(call["tool"], arguments))
    assert result["id"], (where, result)
    assert "replayed" not in result


def test_examples_are_in_stripes_shapes() -> None:
    from stripe_power import spec

    from .test_stripe_shapes import ENDPOINTS

    for where, call in examples():
        method, template = ENDPOINTS[call["tool"]]
        op = spec.operation(method, template)
        assert op is not None
        assert spec.check(op, call["arguments"]) == [], (where, call)
