"""Telling a source file's language from its text, for code pasted without a filename.

Each language has a few markers that are near-certain in real integration code (PHP's
`<?php`, Go's `package`/`func`, Java's `import java.`/`public class`, Ruby's `require 'stripe'`
and `do |x|`, TypeScript's type annotations, JavaScript's `require(`/`=>`, Python's
`def f():`/`from x import`); the language with the highest score wins. Code with a Python
marker that also parses as Python gets a bonus, since Ruby and JavaScript lines often look alike.
"""

from __future__ import annotations

import ast
import re
import warnings

_MARKERS: dict[str, tuple[tuple[str, int], ...]] = {
    "php": ((r"<\?php", 10), (r"\$\w+\s*->\s*\w+", 3), (r"\$\w+\s*=", 2), (r"\\Stripe\\", 4)),
    "go": (
        (r"(?m)^package\s+\w+\s*$", 6),
        (r"(?m)^func\s+[\w(]", 4),
        (r":=", 2),
        (r"(?m)^import\s*\(", 3),
        (r"\"github\.com/stripe/stripe-go", 6),
    ),
    "java": (
        (r"(?m)^import\s+(?:java|javax|com)\.[\w.]+;", 6),
        (r"\b(?:public|private|protected)\s+(?:static\s+)?(?:final\s+)?(?:class|void|String|int)\b", 4),
        (r"\bString\[\]\s+\w+", 3),
        (r"\bnew\s+\w+(?:<[\w<>, ]*>)?\(", 1),
    ),
    "ruby": (
        (r"(?m)^\s*require\s+['\"]\w+['\"]\s*$", 5),
        (r"\bdo\s*\|[\w, ]+\|", 4),
        (r"(?m)^\s*end\s*$", 2),
        (r"(?m)^\s*def\s+\w+[?!]?\s*(?:\([^)]*\))?\s*$", 3),
        (r"\bputs\b", 2),
        (r":\w+\s*=>", 2),
    ),
    "typescript": (
        (r"\binterface\s+\w+\s*\{", 5),
        (r"\bimport\s+type\b", 6),
        (r"[\w)]\s*:\s*(?:string|number|boolean|void|any|unknown|Promise<[^>]*>|Stripe\.\w+)\b", 3),
        (r"\bas\s+(?:const|string|number|any)\b", 3),
        (r"\bexport\s+type\b", 5),
    ),
    "javascript": (
        (r"\brequire\(\s*['\"][\w@/.-]+['\"]\s*\)", 4),
        (r"\b(?:const|let|var)\s+\w+\s*=", 2),
        (r"=>", 2),
        (r"\bimport\s+[\w{},* ]+\s+from\s+['\"]", 3),
        (r"\bmodule\.exports\b", 4),
        (r"\bawait\s+\w+", 1),
        (r";\s*$", 1),
    ),
    "python": (
        (r"(?m)^\s*def\s+\w+\([^)]*\)\s*(?:->\s*[^:]+)?:\s*$", 5),
        (r"(?m)^\s*from\s+[\w.]+\s+import\s+", 5),
        (r"(?m)^\s*import\s+[\w.]+\s*$", 3),
        (r"(?m)^\s*(?:if|for|while|with|try|except|elif|else)\b[^{;]*:\s*$", 2),
        (r"\bNone\b|\bTrue\b|\bFalse\b", 1),
        (r"(?m)^\s*@\w+", 1),
    ),
}
_COMPILED = {
    language: tuple((re.compile(pattern), weight) for pattern, weight in markers)
    for language, markers in _MARKERS.items()
}


def guess_language(source: str) -> str | None:
    """The most likely language of `source`, or None when nothing points anywhere."""
    scores = {
        language: sum(weight for pattern, weight in markers if pattern.search(source))
        for language, markers in _COMPILED.items()
    }
    # TypeScript is JavaScript with types: its markers add to JavaScript's.
    if scores["typescript"]:
        scores["typescript"] += scores["javascript"]
    if scores["python"] and _parses_as_python(source):
        scores["python"] += 4
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] > 0 else None


def _parses_as_python(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in other languages
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
