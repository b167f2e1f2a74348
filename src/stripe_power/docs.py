"""The generated parts of README.md and POWER.md: tool tables from the registry, the guide.

`python scripts/gen_docs.py` rewrites them; a test fails when the files drift from the code.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.types import ToolAnnotations

from .hints import Listing
from .hints import render as render_hints
from .resources import best_practices
from .tools import BYTES_PER_TOOL_BUDGET, DEFAULT_BUDGET_BYTES, TOOLSETS, in_default

_NO_HINTS = ToolAnnotations()
_KIND_NOTE = {"read": "read", "write": "write", "money": "moves money", "destructive": "destructive"}


def tool_table() -> str:
    lines = ["| toolset | tool | what it does | kind | default |", "|---|---|---|---|---|"]
    for toolset in TOOLSETS:
        for spec in toolset.tools:
            doc = render_hints((spec.fn.__doc__ or "").strip().splitlines()[0], Listing.everything())
            kind = _KIND_NOTE[spec.kind] + (" (per call)" if spec.kind_of else "")
            if spec.requires:
                kind += f"; only with {spec.requires.replace('_', ' ')}"
            mark = "yes" if in_default(spec) else ""
            lines.append(f"| `{toolset.name}` | `{spec.name}` | {doc} | {kind} | {mark} |")
    return "\n".join(lines)


def toolset_list() -> str:
    default = [f"`{spec.name}`" for ts in TOOLSETS for spec in ts.tools if in_default(spec)]
    return "\n".join(
        [
            "- **default** (listed when `--toolsets` is not given; `--toolsets all` lists every tool, "
            "`--toolsets default,invoices` adds a toolset): " + ", ".join(default),
            *(
                f"- **{ts.name}** ({ts.description}): " + ", ".join(f"`{spec.name}`" for spec in ts.tools)
                for ts in TOOLSETS
            ),
        ]
    )


def list_bytes(**options: Any) -> tuple[int, int]:
    """(tools, bytes) of `tools/list` as a client receives it (compact JSON), for these settings."""
    import anyio

    from .config import load_settings
    from .server import create_server

    with tempfile.TemporaryDirectory() as state_dir:
        settings = load_settings({"STRIPE_SECRET_KEY": "sk_test_" + "0" * 24}, state_dir=state_dir, **options)
        tools = anyio.run(create_server(settings).list_tools)
    wire = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    return len(wire), len(json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode())


def budget() -> str:
    """The measured size of each tool list against its budget (README)."""
    rows = ["| mode | tools | `tools/list` bytes | bytes a tool |", "|---|---|---|---|"]
    for mode, options in (
        ("default", {}),
        ("default, `--read-only`", {"read_only": True}),
        ("`--toolsets all`", {"toolsets": "all"}),
        ("`--toolsets all --read-only`", {"toolsets": "all", "read_only": True}),
    ):
        count, size = list_bytes(**options)
        rows.append(f"| {mode} | {count} | {size:,} | {size / count:,.0f} |")
    rows.append(
        f"| budget | | default at most {DEFAULT_BUDGET_BYTES:,} | at most {BYTES_PER_TOOL_BUDGET} in every mode |"
    )
    return "\n".join(rows)


def guardrail_list() -> str:
    """The request rules in one line each (POWER.md), their advice written for the default listing."""
    from .guardrails import RULES

    default = Listing.default()
    return "\n".join(
        f"- `{rule.id}`: {rule.refuses}. Instead: {render_hints(rule.instead, default)}"
        for rule in RULES
        if rule.matches
    )


def power_mcp_json() -> dict[str, Any]:
    """The power's mcp.json (and the Kiro recipe in README.md): `stripe-power serve` with the key
    from the environment, auto-approving exactly the tools the default listing marks read-only, so
    an agent reads freely and every write still asks."""
    from .tools import DEFAULT, selected_tools

    reads = [
        spec.name
        for spec in selected_tools(frozenset({DEFAULT}), False)
        if (spec.annotations() or _NO_HINTS).read_only_hint
    ]
    entry = {
        "command": "stripe-power",
        "args": ["serve"],
        "env": {"STRIPE_SECRET_KEY": "${STRIPE_SECRET_KEY}"},
        "disabled": False,
        "autoApprove": reads,
    }
    return {"mcpServers": {"stripe": entry}}


def power_mcp_json_text() -> str:
    return json.dumps(power_mcp_json(), indent=2) + "\n"


def kiro_recipe() -> str:
    return f"```json file=.kiro/settings/mcp.json\n{power_mcp_json_text()}```"


def _sandbox(section: str) -> Callable[[], str]:
    """A docs section from sandbox/core/coverage.py, computed from the sandbox's own routes."""

    def render() -> str:
        from .sandbox import Sandbox
        from .sandbox.core import coverage

        made: str = getattr(coverage, section)(Sandbox().router)
        return made

    return render


SECTIONS = {
    "tools": tool_table,
    "toolsets": toolset_list,
    # As the power's agent reads it: for the default listing (POWER.md is the power's front page).
    "best-practices": lambda: render_hints(best_practices(), Listing.default()),
    "budget": budget,
    "guardrails": guardrail_list,
    "kiro-mcp": kiro_recipe,
    "sandbox-coverage": _sandbox("markdown"),
    "sandbox-limits": _sandbox("limits_markdown"),
    "sandbox-emulated": _sandbox("emulated_markdown"),
    "sandbox-figures": _sandbox("figures"),
}


def render(text: str) -> str:
    """Replace every `<!-- name:start -->...<!-- name:end -->` block with its generated content;
    a block on one line (inside a sentence) stays on one line."""

    def fill(match: re.Match[str]) -> str:
        name, inline = match.group(1), not match.group(2).startswith("\n")
        made = SECTIONS[name]().strip()
        if inline:
            return f"<!-- {name}:start -->{made}<!-- {name}:end -->"
        return f"<!-- {name}:start -->\n{made}\n<!-- {name}:end -->"

    return re.sub(r"<!-- ([a-z-]+):start -->(.*?)<!-- \1:end -->", fill, text, flags=re.S)


def sync(path: Path, *, check: bool) -> bool:
    """True if the file is up to date; with check=False, rewrite it when it is not. `mcp.json` is
    generated whole (power_mcp_json); markdown files section by section."""
    current = path.read_text(encoding="utf-8")
    wanted = power_mcp_json_text() if path.name == "mcp.json" else render(current)
    if wanted != current and not check:
        path.write_text(wanted, encoding="utf-8")
    return wanted == current
