"""Sandbox coverage: how many of the operations in Stripe's spec the offline sandbox answers.

Run: ``python bench/sandbox_coverage.py``. Every operation of the packaged spec index is sent
once over HTTP to a sandbox on 127.0.0.1 (ids in the path are made up, no params). "Answered"
counts replies other than "Unrecognized request URL" (Stripe's answer for a path it lacks).
How each operation is served comes from the router: hand-written behaviour, generic storage from
the spec's schemas, or an error that names it a limit of the sandbox.
Anchor: before the generic layer the sandbox answered 90 of 594 operations (15%).
Goal: every operation answers (100%).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from _common import Row, quiet_logging

from stripe_power import spec
from stripe_power.sandbox import Sandbox, SandboxServer
from stripe_power.sandbox.core.coverage import by_kind, probe


def main(argv: Sequence[str] | None = None) -> list[Row]:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    quiet_logging()
    total = len(spec.operations())
    with SandboxServer(host="127.0.0.1", port=0) as server:
        replies = probe(server.url)
    unanswered = [r.key for r in replies if not r.answered]
    answered = total - len(unanswered)
    table = by_kind(Sandbox().router)
    print(f"operations in the spec: {total}; answered over HTTP: {answered}")
    for name in sorted(table, key=lambda n: -len(table[n])):
        print(f"  {name:<17} {len(table[name]):>4}")
    for key in unanswered:
        print(f"  unanswered: {key}")
    served = total - len(table.get("limit", []))
    return [
        Row(
            "sandbox: operations answered",
            f"{answered}/{total} ({answered / total:.0%})",
            f">= {total}/{total}",
            f"{answered / total:.2f}",
            answered == total,
        ),
        Row(
            "sandbox: operations served (not a sandbox limit)",
            f"{served}/{total} ({served / total:.0%})",
            "-",
            "-",
            None,
        ),
        Row("sandbox: operations with hand-written behaviour", str(len(table["behaviour"])), "-", "-", None),
    ]


if __name__ == "__main__":
    main()
