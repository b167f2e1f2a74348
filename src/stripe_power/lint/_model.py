"""Findings, secret detection and redaction."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ._rules import LINT_RULES, Severity

# Anything key-shaped is redacted in snippets, even when too short or too placeholder-like to be
# reported: redaction is cheap and a leak is not. A key glued to a word is still a key.
_REDACT_RE = re.compile(r"(sk_live_|rk_live_|sk_test_|rk_test_|whsec_)([A-Za-z0-9]+)")
_SECRET_RE = _REDACT_RE
_MIN_BODY = 16
_MIN_RANDOM = 10  # characters of a body left once placeholder parts are taken out
_PLACEHOLDER_WORDS = (
    "xxxx",
    "your",
    "example",
    "placeholder",
    "redacted",
    "dummy",
    "changeme",
    "replace",
    "secret",
    "key",
    "here",
    "test",
    "live",
    "abcdef",
    "123456",
)
_REPEAT_RE = re.compile(r"(.)\1{3,}")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def redact(text: str) -> str:
    """Replace every key-shaped token with its prefix and (for long bodies) its last 4 characters."""

    def _sub(match: re.Match[str]) -> str:
        prefix, body = match.group(1), match.group(2)
        tail = body[-4:] if len(body) >= 12 else ""
        return f"{prefix}****{tail}"

    return _REDACT_RE.sub(_sub, text)


def _random_part(body: str) -> str:
    """What is left of a key body once placeholder words, repeated characters and runs of the
    alphabet or of digits (abcd, 1234) are taken out."""
    text = body.lower()
    for word in _PLACEHOLDER_WORDS:
        text = text.replace(word, " ")
    text = _REPEAT_RE.sub(" ", text)
    kept, run = [], ""
    for char in text + " ":
        if run and _ALPHABET.find(run[-1] + char) >= 0:
            run += char
            continue
        kept.append(run if len(run) < 4 else " ")
        run = char
    return "".join(kept).replace(" ", "")


def looks_like_real_key(body: str) -> bool:
    """True when a key body is realistic: long enough and, once its placeholder parts are taken out
    (`your`, `xxxx`, `abcdef`...), still long and varied. A real key that happens to contain such
    a word is judged by the rest of it, not excused by the word."""
    if len(body) < _MIN_BODY:
        return False
    rest = _random_part(body)
    return len(rest) >= _MIN_RANDOM and len(set(rest)) >= 8


@dataclass(frozen=True, slots=True)
class SecretHit:
    offset: int
    prefix: str
    severity: Severity


def find_secrets(text: str) -> list[SecretHit]:
    hits: list[SecretHit] = []
    for match in _SECRET_RE.finditer(text):
        prefix, body = match.group(1), match.group(2)
        if not looks_like_real_key(body):
            continue
        severity: Severity = "warning" if prefix.endswith("_test_") else "error"
        hits.append(SecretHit(match.start(), prefix, severity))
    return hits


@dataclass(frozen=True, slots=True)
class Finding:
    """One anti-pattern found in integration code. Snippets never contain a secret key."""

    rule_id: str
    severity: Severity
    path: str
    line: int
    column: int
    snippet: str
    title: str
    why: str
    fix: str
    doc_url: str

    def to_dict(self) -> dict[str, str | int]:
        return dict(asdict(self))

    def format_text(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}: {self.severity} {self.rule_id} {self.title}: "
            f"{self.snippet}\n    why: {self.why}\n    fix: {self.fix} ({self.doc_url})"
        )


def make_finding(
    rule_id: str,
    *,
    path: str,
    line: int,
    column: int,
    line_text: str,
    severity: Severity | None = None,
) -> Finding:
    rule = LINT_RULES[rule_id]
    snippet = redact(line_text.strip())
    if len(snippet) > 200:
        snippet = snippet[:197] + "..."
    return Finding(
        rule_id=rule_id,
        severity=severity or rule.severity,
        path=path,
        line=line,
        column=column,
        snippet=snippet,
        title=rule.title,
        why=rule.why,
        fix=rule.fix,
        doc_url=rule.doc_url,
    )


__all__ = ["Finding", "SecretHit", "find_secrets", "looks_like_real_key", "redact"]
