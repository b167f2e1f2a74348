"""The integration-code linter: Stripe anti-patterns in the user's own code.

Rule ids are the same as :mod:`stripe_power.guardrails` where the mistake is the same
(``charges-api``, ``sources-api``, ``tokens-api``, ``payment-method-types``, ``api-version-pin``,
``plans-api``); linter-only rules: ``card-element``, ``client-create-payment-method``,
``secret-key-in-source``, ``webhook-signature-unverified``, ``global-api-key``.
Languages: Python (syntax tree), JavaScript/TypeScript (incl. JSX/TSX), Ruby, PHP, Go, Java.
"""

from ._cli import main_lint
from ._core import LANGUAGES, detect_language, lint_paths, lint_source
from ._model import Finding, redact
from ._rules import LINT_RULES, LintRule, Severity

__all__ = [
    "LANGUAGES",
    "LINT_RULES",
    "Finding",
    "LintRule",
    "Severity",
    "detect_language",
    "lint_paths",
    "lint_source",
    "main_lint",
    "redact",
]
