"""``stripe-power lint PATH... [--format text|json]``: findings to stdout, usable as a pre-commit hook."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from ._core import lint_paths


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parser() -> _Parser:
    parser = _Parser(
        prog="stripe-power lint",
        description="Find Stripe anti-patterns (Charges, Sources, Tokens, Card Element, hardcoded "
        "payment_method_types, pinned API versions, secret keys, unverified webhooks) in source code.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to lint")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    return parser


def main_lint(argv: list[str]) -> int:
    """Run the linter. Exit 1 if any error or warning finding, 0 if none (advice only), 2 on usage error."""
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        sys.stderr.write(f"stripe-power lint: error: {exc}\n")
        return 2
    except SystemExit as exc:  # --help
        return 0 if exc.code in (0, None) else 2
    try:
        findings = lint_paths(args.paths)
    except FileNotFoundError as exc:
        sys.stderr.write(f"stripe-power lint: error: {exc}\n")
        return 2
    counts = Counter(f.severity for f in findings)
    if args.format == "json":
        payload = {
            "findings": [f.to_dict() for f in findings],
            "summary": {s: counts.get(s, 0) for s in ("error", "warning", "advice")},
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for finding in findings:
            sys.stdout.write(
                f"{finding.path}:{finding.line}:{finding.column}: {finding.severity} {finding.rule_id} "
                f"{finding.title}: {finding.snippet}\n"
                f"    fix: {finding.fix} ({finding.doc_url})\n"
            )
        total = len(findings)
        sys.stdout.write(
            f"{total} finding{'s' if total != 1 else ''} "
            f"({counts.get('error', 0)} error, {counts.get('warning', 0)} warning, "
            f"{counts.get('advice', 0)} advice)\n"
        )
    return 1 if counts.get("error", 0) or counts.get("warning", 0) else 0
