"""Regenerate the packaged spec index from Stripe's OpenAPI description.

Run: ``python scripts/gen_spec_index.py [path/to/stripe-openapi]`` (default ``../shared/stripe-openapi``).
Writes ``src/stripe_power/spec/openapi.json.gz`` (a pruned copy of ``spec3.json``: the same
OpenAPI shape, with prose cut to its first sentence and transport details dropped) and
``fixtures.json.gz`` (Stripe's example objects). Both are published by Stripe under the MIT
License, copied beside them as ``LICENSE``. ``tests/test_spec_index.py`` fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from stripe_power.spec._build import write_index  # noqa: E402


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "stripe-openapi"
    for path in write_index(source, ROOT / "src" / "stripe_power" / "spec"):
        sys.stderr.write(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)\n")


if __name__ == "__main__":
    main()
