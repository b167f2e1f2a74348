"""Regenerate `src/stripe_power/data/published_schemas.json`: every tool's published inputSchema.

Run: ``python scripts/gen_schemas.py`` after changing a tool's parameters (or `trim_schema`).
The server lists tools from this file and builds each argument model on the tool's first call;
``tests/test_published_schemas.py`` fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from stripe_power.prompts import published_prompt_arguments  # noqa: E402
from stripe_power.published import FILE, encode  # noqa: E402
from stripe_power.server import generate_published_schemas  # noqa: E402


def main() -> None:
    FILE.write_text(encode(generate_published_schemas() | published_prompt_arguments()), encoding="utf-8")
    sys.stderr.write(f"wrote {FILE.relative_to(ROOT)} ({FILE.stat().st_size:,} bytes)\n")


if __name__ == "__main__":
    main()
