"""lint_source / lint_paths: language detection, dispatch, de-duplication."""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from ._guess import guess_language
from ._lexer import LineIndex, mask
from ._model import Finding, find_secrets, make_finding
from ._python import python_hits
from ._rules import Severity
from ._text import EVENT_LITERAL_RE, Hit, pattern_hits, webhook_hits

LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "ruby", "php", "go", "java")

_EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescript",
    ".rb": "ruby",
    ".rake": "ruby",
    ".php": "php",
    ".go": "go",
    ".java": "java",
}
_ALIASES: dict[str, str] = {
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "jsx": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "rb": "ruby",
    "golang": "go",
}
SKIP_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "venv",
        ".venv",
        "env",
        "vendor",
        "build",
        "dist",
        "target",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
        ".next",
        "coverage",
    }
)
MAX_BYTES = 1_000_000
_STRIPE_RE = re.compile(r"(?i)stripe")


def detect_language(
    filename: str | None = None, language: str | None = None, source: str | None = None
) -> str:
    """The canonical language name: from `language`, else the filename's extension, else the
    code itself; ValueError naming the supported ones when none is known."""
    if language:
        key = language.strip().lower()
        key = _ALIASES.get(key, key)
        if key in LANGUAGES:
            return key
        raise ValueError(
            f"unknown language {language!r}: supported languages are {', '.join(LANGUAGES)} "
            f"(aliases: {', '.join(sorted(_ALIASES))})"
        )
    if filename:
        found = _EXTENSIONS.get(Path(filename).suffix.lower())
        if found:
            return found
    if source is not None and (guessed := guess_language(source)) is not None:
        return guessed
    raise ValueError(
        f"cannot tell the language of {filename or 'the source'!r}: pass language= one of "
        f"{', '.join(LANGUAGES)}, or a filename ending in {', '.join(sorted(_EXTENSIONS))}"
    )


def lint_source(source: str, *, filename: str | None = None, language: str | None = None) -> list[Finding]:
    """Find Stripe anti-patterns in one source file; findings are sorted by position."""
    lang = detect_language(filename, language, source)
    engine = "javascript" if lang == "typescript" else lang
    path = filename or "<source>"
    index = LineIndex(source)
    findings: dict[tuple[str, int], Finding] = {}

    def add(rule: str, line: int, column: int, severity: Severity | None = None) -> None:
        key = (rule, line)
        if key in findings:
            return
        findings[key] = make_finding(
            rule,
            path=path,
            line=line,
            column=column,
            line_text=index.line_text(line),
            severity=severity,
        )

    for secret in find_secrets(source):
        line, column = index.position(secret.offset)
        add("secret-key-in-source", line, column, secret.severity)

    # Stripe-specific rules only run on code that mentions Stripe or a Stripe event name.
    if _STRIPE_RE.search(source) or EVENT_LITERAL_RE.search(source):
        tree = _parse_python(source) if engine == "python" else None
        if tree is not None:
            for hit in python_hits(tree):
                text = index.line_text(hit.line)
                column = len(text.encode("utf-8")[: hit.col_byte].decode("utf-8", "replace")) + 1
                add(hit.rule, hit.line, column)
        else:
            masked = mask(source, engine)
            hits: Iterable[Hit] = (*pattern_hits(masked, engine), *webhook_hits(masked, engine, index))
            for text_hit in hits:
                line, column = index.position(text_hit.offset)
                add(text_hit.rule, line, column)
    return sorted(findings.values(), key=lambda f: (f.line, f.column, f.rule_id))


def _parse_python(source: str) -> ast.Module | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in user code
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None


def _is_binary(head: bytes) -> bool:
    return b"\0" in head


def iter_source_files(paths: Sequence[str | Path]) -> Iterable[Path]:
    """Files to lint under ``paths``: known extensions, skipping vendored and build directories."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"no such file or directory: {path}")
        if path.is_file():
            if path.suffix.lower() in _EXTENSIONS:
                yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
            for name in sorted(files):
                if Path(name).suffix.lower() in _EXTENSIONS:
                    yield Path(root) / name


def lint_paths(paths: Sequence[str | Path]) -> list[Finding]:
    """Lint files and directories. Skips unknown extensions, binaries and files over 1 MB."""
    findings: list[Finding] = []
    seen: set[Path] = set()
    for file in iter_source_files(paths):
        resolved = file.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            if file.stat().st_size > MAX_BYTES:
                continue
            data = file.read_bytes()
        except OSError:
            continue
        if _is_binary(data[:8192]):
            continue
        text = data.decode("utf-8", errors="replace")
        findings.extend(lint_source(text, filename=str(file)))
    return findings
