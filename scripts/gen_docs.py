"""Regenerate the tool tables and the guide in README.md and POWER.md, the sandbox's coverage
table in docs/sandbox.md, and the power's mcp.json (its autoApprove list), from the code."""

from __future__ import annotations

import sys
from pathlib import Path

from stripe_power.docs import sync

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    check = "--check" in sys.argv
    stale = [
        name
        for name in ("README.md", "POWER.md", "docs/sandbox.md", "mcp.json")
        if not sync(ROOT / name, check=check)
    ]
    if stale:
        print(("out of date: " if check else "updated: ") + ", ".join(stale))
    sys.exit(1 if check and stale else 0)
