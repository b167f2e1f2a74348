"""Precision and recall per rule over a labelled corpus.

A corpus file marks each offending line with a trailing comment ``expect: rule-id[, rule-id]``
and may mark decoy lines (mentions that must NOT be reported) with ``ok: rule-id``.
Run: ``python -m stripe_power.lint.measure tests/lint/corpus``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._core import iter_source_files, lint_paths
from ._rules import LINT_RULES

_MARK_RE = re.compile(r"\b(expect|ok):\s*([a-z][a-z-]*(?:\s*,\s*[a-z][a-z-]*)*)")

Key = tuple[str, int, str]  # path, line, rule


@dataclass
class RuleScore:
    rule: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    decoys: int = 0
    bad_files: set[str] = field(default_factory=set)
    good_files: set[str] = field(default_factory=set)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    scores: dict[str, RuleScore]
    false_positives: list[Key]
    false_negatives: list[Key]
    files: int

    def table(self) -> str:
        rows = [
            f"{'rule':30} {'expected':>8} {'decoys':>6} {'TP':>4} {'FP':>4} {'FN':>4} "
            f"{'precision':>9} {'recall':>6}"
        ]
        for score in self.scores.values():
            rows.append(
                f"{score.rule:30} {score.tp + score.fn:8d} {score.decoys:6d} {score.tp:4d} {score.fp:4d} "
                f"{score.fn:4d} {score.precision:9.3f} {score.recall:6.3f}"
            )
        for kind, keys in (
            ("false positive", self.false_positives),
            ("false negative", self.false_negatives),
        ):
            rows.extend(f"  {kind}: {path}:{line} {rule}" for path, line, rule in keys)
        return "\n".join(rows)


def labels(path: Path) -> tuple[set[Key], list[Key]]:
    expected: set[Key] = set()
    decoys: list[Key] = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _MARK_RE.finditer(line):
            for rule in (r.strip() for r in match.group(2).split(",")):
                if rule not in LINT_RULES:
                    raise ValueError(f"{path}:{number}: unknown rule id {rule!r} in marker")
                key = (str(path), number, rule)
                (expected.add(key) if match.group(1) == "expect" else decoys.append(key))
    return expected, decoys


def measure(paths: Sequence[str | Path]) -> Report:
    scores = {rule: RuleScore(rule) for rule in LINT_RULES}
    expected: set[Key] = set()
    files = 0
    for file in iter_source_files(paths):
        files += 1
        file_expected, file_decoys = labels(file)
        expected |= file_expected
        for _, _, rule in file_decoys:
            scores[rule].decoys += 1
            scores[rule].good_files.add(str(file))
        for _, _, rule in file_expected:
            scores[rule].bad_files.add(str(file))
    found = {(f.path, f.line, f.rule_id) for f in lint_paths(paths)}
    for key in found & expected:
        scores[key[2]].tp += 1
    false_positives = sorted(found - expected)
    false_negatives = sorted(expected - found)
    for key in false_positives:
        scores[key[2]].fp += 1
    for key in false_negatives:
        scores[key[2]].fn += 1
    return Report(scores, false_positives, false_negatives, files)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv) or ["tests/lint/corpus"]
    report = measure(args)
    sys.stdout.write(f"{report.files} corpus files\n{report.table()}\n")
    return 0 if not report.false_positives and not report.false_negatives else 1


if __name__ == "__main__":
    raise SystemExit(main())
