"""The server started exactly as mcp.json says, as a subprocess over stdio."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import ROOT, new_key


def mcp_json_server(env: dict[str, str]) -> StdioServerParameters:
    entry = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["stripe"]
    expanded = {
        name: re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], value) for name, value in entry["env"].items()
    }
    bin_dir = str(Path(sys.executable).parent)  # where `pip install` put the `stripe-power` script
    return StdioServerParameters(
        command=entry["command"],
        args=entry["args"],
        env={
            **expanded,
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            **{k: v for k, v in env.items() if k.startswith("STRIPE_POWER")},
        },
    )


async def test_mcp_json_starts_a_server_that_lists_tools(tmp_path: Path) -> None:
    params = mcp_json_server({"STRIPE_SECRET_KEY": new_key(), "STRIPE_POWER_STATE_DIR": str(tmp_path)})
    async with Client(params, mode="legacy") as client:
        assert client.server_info is not None
        assert client.server_info.name == "stripe-power"
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert "create_customer" in names
    assert names == sorted(set(names), key=names.index)  # no duplicates
