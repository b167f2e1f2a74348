"""Precision and recall per rule over the labelled corpus (tests/lint/corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripe_power.lint import LINT_RULES
from stripe_power.lint.measure import Report, measure

CORPUS = Path(__file__).parent / "corpus"
MIN_SCORE = 0.95
MIN_SAMPLES = 10  # bad (expected) lines and decoy lines per rule


@pytest.fixture(scope="module")
def report() -> Report:
    return measure([CORPUS])


def test_corpus_table(report: Report, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nlint corpus: {report.files} files\n{report.table()}")
    assert report.files >= 60


@pytest.mark.parametrize("rule", sorted(LINT_RULES))
def test_precision_and_recall(report: Report, rule: str) -> None:
    score = report.scores[rule]
    assert score.precision >= MIN_SCORE, report.table()
    assert score.recall >= MIN_SCORE, report.table()


@pytest.mark.parametrize("rule", sorted(LINT_RULES))
def test_corpus_is_big_enough(report: Report, rule: str) -> None:
    score = report.scores[rule]
    assert score.tp + score.fn >= MIN_SAMPLES, f"{rule}: only {score.tp + score.fn} bad samples"
    assert score.decoys >= MIN_SAMPLES, f"{rule}: only {score.decoys} decoys"


def test_every_language_has_bad_and_good_files() -> None:
    for language in ("python", "javascript", "typescript", "ruby", "php", "go", "java"):
        files = [p for p in (CORPUS / language).iterdir() if p.is_file()]
        assert any("expect:" in p.read_text() for p in files), language
        assert any("expect:" not in p.read_text() for p in files), language


def test_committed_corpus_has_no_full_length_live_keys() -> None:
    import re

    leak = re.compile(r"(?:sk|rk)_live_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9]{24,}")
    for path in Path(__file__).parent.rglob("*"):
        if path.is_file():
            assert not leak.search(path.read_text(errors="replace")), path
