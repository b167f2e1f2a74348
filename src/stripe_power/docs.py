"""The generated parts of README.md and POWER.md: tool tables from the registry, the guide.

`python scripts/gen_docs.py` rewrites them; a test fails when the files drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path

from .resources import best_practices
from .tools import TOOLSETS

_KIND_NOTE = {"read": "read", "write": "write", "money": "moves money", "destructive": "destructive"}


def tool_table() -> str:
    lines = ["| toolset | tool | what it does | kind |", "|---|---|---|---|"]
    for toolset in TOOLSETS:
        for spec in toolset.tools:
            doc = (spec.fn.__doc__ or "").strip().splitlines()[0]
            kind = _KIND_NOTE[spec.kind] + (" (per call)" if spec.kind_of else "")
            if spec.requires:
                kind += f"; only with {spec.requires.replace('_', ' ')}"
            lines.append(f"| `{toolset.name}` | `{spec.name}` | {doc} | {kind} |")
    return "\n".join(lines)


def toolset_list() -> str:
    return "\n".join(
        f"- **{ts.name}** ({ts.description}): " + ", ".join(f"`{spec.name}`" for spec in ts.tools)
        for ts in TOOLSETS
    )


def sandbox_coverage() -> str:
    from .sandbox import Sandbox
    from .sandbox.coverage import markdown

    return markdown(Sandbox().router)


SECTIONS = {
    "tools": tool_table,
    "toolsets": toolset_list,
    "best-practices": best_practices,
    "sandbox-coverage": sandbox_coverage,
}


def render(text: str) -> str:
    """Replace every `<!-- name:start -->...<!-- name:end -->` block with its generated content."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- {name}:start -->\n{SECTIONS[name]().strip()}\n<!-- {name}:end -->"

    return re.sub(r"<!-- ([a-z-]+):start -->.*?<!-- \1:end -->", fill, text, flags=re.S)


def sync(path: Path, *, check: bool) -> bool:
    """True if the file is up to date; with check=False, rewrite it when it is not."""
    current = path.read_text(encoding="utf-8")
    wanted = render(current)
    if wanted != current and not check:
        path.write_text(wanted, encoding="utf-8")
    return wanted == current
