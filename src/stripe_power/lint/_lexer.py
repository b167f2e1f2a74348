"""A small lexer that masks comments and prose strings, keeping offsets and line numbers.

The masked text has the same length as the source: comments become spaces, string literals keep
their quotes, and their contents are kept only when they look like an identifier, a key, a date
or an event name (``'card'``, ``'payment_method_types'``, ``'2024-06-20'``,
``'checkout.session.completed'``). Prose in strings (docs text, log messages) is blanked, so a
string that merely mentions ``stripe.charges.create(`` is not a call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEEP_RE = re.compile(r"[A-Za-z0-9_.\-\[\]]{0,200}")


@dataclass(frozen=True, slots=True)
class Syntax:
    line_comments: tuple[str, ...]
    block_comments: tuple[tuple[str, str], ...]
    quotes: tuple[str, ...]  # longest first
    multiline_quotes: frozenset[str]
    raw_quotes: frozenset[str] = frozenset()  # no backslash escapes
    block_comment_at_line_start: bool = False  # Ruby's =begin/=end


SYNTAX: dict[str, Syntax] = {
    "javascript": Syntax(("//",), (("/*", "*/"),), ("`", "'", '"'), frozenset({"`"})),
    "python": Syntax(("#",), (), ('"""', "'''", '"', "'"), frozenset({'"""', "'''"}), frozenset(), False),
    "ruby": Syntax(("#",), (("=begin", "=end"),), ("'", '"'), frozenset({"'", '"'}), frozenset(), True),
    "php": Syntax(("//", "#"), (("/*", "*/"),), ("'", '"'), frozenset({"'", '"'})),
    "go": Syntax(("//",), (("/*", "*/"),), ("`", '"', "'"), frozenset({"`"}), frozenset({"`"})),
    "java": Syntax(("//",), (("/*", "*/"),), ('"""', '"', "'"), frozenset({'"""'})),
}


def _blank(text: str) -> str:
    return "".join("\n" if c == "\n" else " " for c in text)


def mask(source: str, language: str) -> str:
    """Return ``source`` with comments blanked and prose string contents blanked."""
    syntax = SYNTAX[language]
    out: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        # line comments
        matched = False
        for lc in syntax.line_comments:
            if source.startswith(lc, i):
                if language == "php" and lc == "#" and source.startswith("#[", i):
                    continue  # PHP 8 attribute
                end = source.find("\n", i)
                end = n if end == -1 else end
                out.append(_blank(source[i:end]))
                i = end
                matched = True
                break
        if matched:
            continue
        for start, stop in syntax.block_comments:
            if source.startswith(start, i) and (
                not syntax.block_comment_at_line_start or i == 0 or source[i - 1] == "\n"
            ):
                end = source.find(stop, i + len(start))
                end = n if end == -1 else end + len(stop)
                out.append(_blank(source[i:end]))
                i = end
                matched = True
                break
        if matched:
            continue
        for quote in syntax.quotes:
            if source.startswith(quote, i):
                end, closed = _string_end(source, i + len(quote), quote, syntax)
                body_end = end - len(quote) if closed else end
                body = source[i + len(quote) : body_end]
                out.append(quote)
                out.append(body if _KEEP_RE.fullmatch(body) else _blank(body))
                out.append(source[body_end:end])
                i = end
                matched = True
                break
        if matched:
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _string_end(source: str, i: int, quote: str, syntax: Syntax) -> tuple[int, bool]:
    """Offset just past the closing quote (or the end of line/file for an unterminated string)."""
    n = len(source)
    raw = quote in syntax.raw_quotes
    multiline = quote in syntax.multiline_quotes
    while i < n:
        if not raw and source[i] == "\\":
            i += 2
            continue
        if source.startswith(quote, i):
            return i + len(quote), True
        if source[i] == "\n" and not multiline:
            return i, False
        i += 1
    return n, False


class LineIndex:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())
        self.lines = text.split("\n")

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.starts[lo] + 1

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""
