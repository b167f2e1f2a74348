"""Toolset `lint`: the same anti-patterns the guardrails refuse, found in the user's own code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..errors import InputError
from ..views import Summary
from ._registry import Toolset

toolset = Toolset("lint", "Check integration code for Stripe anti-patterns")


class CodeFinding(Summary):
    rule_id: str
    severity: str
    line: int
    column: int
    snippet: str
    why: str
    fix: str
    doc_url: str


class LintReport(Summary):
    findings: list[CodeFinding]
    errors: int
    warnings: int
    advice: int


@toolset.tool("Check integration code", kind="read", local=True)
async def check_integration_code(
    source: Annotated[str, Field(max_length=500_000, description="File contents")],
    filename: Annotated[
        str | None, Field(max_length=300, description="e.g. app.py; else told from the code")
    ] = None,
    language: Literal["python", "javascript", "typescript", "ruby", "php", "go", "java"] | None = None,
) -> LintReport:
    """Find deprecated Stripe APIs, hardcoded payment_method_types, leaked keys, unverified webhooks."""
    from ..lint import LANGUAGES, lint_source  # ~20 ms of imports, paid on first use, not at start-up

    try:
        findings = lint_source(source, filename=filename, language=language)
    except ValueError as error:
        raise InputError(
            "language", str(error), f"Pass `language` (one of {', '.join(sorted(LANGUAGES))})."
        ) from None
    items = [
        CodeFinding(
            rule_id=f.rule_id,
            severity=f.severity,
            line=f.line,
            column=f.column,
            snippet=f.snippet,
            why=f.why,
            fix=f.fix,
            doc_url=f.doc_url,
        )
        for f in findings
    ]
    count = {
        level: sum(1 for f in findings if f.severity == level) for level in ("error", "warning", "advice")
    }
    return LintReport(
        findings=items, errors=count["error"], warnings=count["warning"], advice=count["advice"]
    )
