"""The published `inputSchema` of every tool (and each prompt's arguments), built ahead of time (`published_schemas.json`).

Building a tool's argument model and JSON schema costs pydantic about a millisecond per tool,
paid at every start before `tools/list` can answer. The schemas a client sees are fixed by the
code, so they are generated once (``python scripts/gen_schemas.py``) and read at start; each
argument model is built on the tool's first call (`server.LazyTool`). A tool whose entry is
missing (a tool added in a test, `--structured-output`) is built at start as before.
`tests/test_published_schemas.py` fails when the file is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("data") / "published_schemas.json"


def variant(fn: Any, *, connect: bool, confirmation: bool) -> str:
    """The entry of one tool function with the server-wide parameters it gets
    (`stripe_account` with --connect, `confirmation_token` when calls need confirmation)."""
    return f"{fn.__module__}.{fn.__qualname__}" + "+account" * connect + "+confirm" * confirmation


def prompt_key(name: str) -> str:
    """The entry of a prompt's arguments (name, description, required), as `prompts/list` shows them."""
    return f"prompt:{name}"


@cache
def published_schemas() -> dict[str, Any]:
    try:
        text = FILE.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    schemas: dict[str, Any] = json.loads(text)
    return schemas


def encode(schemas: dict[str, Any]) -> str:
    """One line per entry, entries sorted; a schema's own key order is kept (it is what
    clients receive, byte for byte)."""
    lines = [
        json.dumps(key) + ":" + json.dumps(schemas[key], ensure_ascii=False, separators=(",", ":"))
        for key in sorted(schemas)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"
