"""Unit tests for the linter API, redaction and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stripe_power.lint import LINT_RULES, Finding, lint_paths, lint_source, main_lint, redact

# Realistic full-length keys, assembled at test time so no committed file holds one.
LIVE_KEY = "sk_" + "live_" + "51Hb7Kq2Lm9Np4Rs6Tv8Wx1Yz3Ac5Ee7Gg9Ii2Kk4Mm6Oo8Qq0Ss2Uu4Ww6Yy8"
RESTRICTED_LIVE = "rk_" + "live_" + "51Hb7Kq2Lm9Np4Rs6Tv8Wx1Yz3Ac5Ee7Gg9Ii"
WHSEC = "wh" + "sec_" + "Zq8Rt2Wv6Yx0Bn4Md7Kf1Hj5Lp9Sc3Ug"
TEST_KEY = "sk_" + "test_" + "51Hb7Kq2Lm9Np4Rs6Tv8Wx1Yz3Ac5Ee7Gg9Ii2Kk4Mm6"


def rules(findings: list[Finding]) -> list[tuple[int, str]]:
    return [(f.line, f.rule_id) for f in findings]


# --- API --------------------------------------------------------------------------------------


def test_finding_fields_and_to_dict() -> None:
    [finding] = lint_source("import stripe\n\nstripe.Charge.create(amount=1)\n", filename="pay.py")
    assert finding.rule_id == "charges-api"
    assert (finding.severity, finding.path, finding.line, finding.column) == ("error", "pay.py", 3, 1)
    assert finding.snippet == "stripe.Charge.create(amount=1)"
    data = finding.to_dict()
    assert set(data) == {
        "rule_id",
        "severity",
        "path",
        "line",
        "column",
        "snippet",
        "title",
        "why",
        "fix",
        "doc_url",
    }
    assert data["doc_url"] == LINT_RULES["charges-api"].doc_url
    with pytest.raises(AttributeError):
        finding.line = 4  # type: ignore[misc]


def test_columns_are_one_based_characters_not_bytes() -> None:
    source = 'import stripe\nx = "ü€"; stripe.Charge.create(amount=1)\n'
    [finding] = lint_source(source, language="python")
    assert finding.column == source.splitlines()[1].index("stripe") + 1
    [js] = lint_source("const s = 'ü';  stripe.charges.create({});\n", language="js")
    assert js.column == 17


def test_path_defaults_to_placeholder() -> None:
    [finding] = lint_source("stripe.charges.create({})", language="javascript")
    assert finding.path == "<source>"


def test_unknown_language_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown language 'cobol'.*python, javascript"):
        lint_source("x", language="cobol")
    with pytest.raises(ValueError, match=r"cannot tell the language of 'notes\.txt'.*language="):
        lint_source("x", filename="notes.txt")
    with pytest.raises(ValueError, match="cannot tell the language"):
        lint_source("x")


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("py", "import stripe\nstripe.Charge.create()"),
        ("ts", "stripe.charges.create({})"),
        ("tsx", "stripe.charges.create({})"),
        ("node", "stripe.charges.create({})"),
        ("rb", "Stripe::Charge.create(amount: 1)"),
        ("PHP", "\\Stripe\\Charge::create([]);"),
        ("golang", "// stripe\ncharge.New(params)"),
        ("java", "Charge.create(params); // stripe"),
    ],
)
def test_language_argument_and_aliases(language: str, source: str) -> None:
    assert [f.rule_id for f in lint_source(source, language=language)] == ["charges-api"]


def test_explicit_language_wins_over_filename() -> None:
    assert rules(lint_source("stripe.charges.create({})", filename="x.txt", language="js")) == [
        (1, "charges-api")
    ]


def test_python_that_does_not_parse_falls_back_to_text_rules() -> None:
    source = "import stripe\ndef broken(:\nstripe.Charge.create(amount=1)\n# stripe.Token.create()\n"
    assert rules(lint_source(source, filename="broken.py")) == [(3, "charges-api")]


def test_python_comments_docstrings_and_strings_are_not_findings() -> None:
    source = (
        '"""stripe.Charge.create(amount=1) is legacy."""\n'
        "import stripe\n"
        "# stripe.Charge.create(amount=1)\n"
        "s = 'stripe.Charge.create(amount=1)'\n"
        "f = f'{stripe.Charge}.create'\n"
    )
    assert lint_source(source, filename="a.py") == []


def test_code_without_stripe_is_not_checked_for_stripe_calls() -> None:
    # An ORM with a `charges` table: no Stripe anywhere, so no finding.
    assert lint_source("await db.charges.create({ amount });", language="js") == []


def test_severity_of_keys() -> None:
    source = f"a = '{LIVE_KEY}'\nb = '{TEST_KEY}'\nc = '{WHSEC}'\nd = '{RESTRICTED_LIVE}'\n"
    found = {(f.line, f.severity) for f in lint_source(source, language="python")}
    assert found == {(1, "error"), (2, "warning"), (3, "error"), (4, "error")}


# --- redaction -----------------------------------------------------------------------------------


def test_redact_keeps_prefix_and_last_four() -> None:
    assert redact(f"key={LIVE_KEY}") == f"key=sk_live_****{LIVE_KEY[-4:]}"
    assert redact(f"{WHSEC},{TEST_KEY}") == f"whsec_****{WHSEC[-4:]},sk_test_****{TEST_KEY[-4:]}"
    assert redact("sk_live_short") == "sk_live_****"


@pytest.mark.parametrize(
    ("filename", "template"),
    [
        ("a.py", "import stripe\nstripe.api_key = '{key}'\n"),
        ("a.js", "const stripe = require('stripe')('{key}');\n"),
        ("a.rb", "Stripe.api_key = '{key}'\n"),
        ("a.php", "<?php\n\\Stripe\\Stripe::setApiKey('{key}');\n"),
        ("a.go", 'package main\nfunc main() {{ stripe.Key = "{key}" }}\n'),
        ("A.java", 'class A {{ void f() {{ Stripe.apiKey = "{key}"; }} }}\n'),
    ],
)
@pytest.mark.parametrize("key", [LIVE_KEY, RESTRICTED_LIVE, WHSEC, TEST_KEY])
def test_no_secret_in_any_output(filename: str, template: str, key: str) -> None:
    findings = lint_source(template.format(key=key), filename=filename)
    assert "secret-key-in-source" in {f.rule_id for f in findings}
    for finding in findings:
        assert key not in json.dumps(finding.to_dict())
        assert key[-8:] not in finding.snippet
        assert key[-4:] in finding.snippet


def test_cli_output_never_contains_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.py").write_text(f"KEY = '{LIVE_KEY}'\nWH = '{WHSEC}'\n")
    for fmt in ("text", "json"):
        assert main_lint([str(tmp_path), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert LIVE_KEY not in out
        assert WHSEC not in out
        assert "sk_live_****" in out


# --- paths ---------------------------------------------------------------------------------------


def test_lint_paths_walks_and_skips(tmp_path: Path) -> None:
    bad = "stripe.charges.create({ amount: 1 });\n"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pay.js").write_text(bad)
    (tmp_path / "src" / "notes.txt").write_text(bad)
    for skipped in ("node_modules", ".git", "venv", ".venv", "vendor", "build", "dist"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "pay.js").write_text(bad)
    (tmp_path / "src" / "bundle.js").write_bytes(b"\0\0stripe.charges.create({})")
    (tmp_path / "src" / "huge.js").write_text(bad + "x" * 1_100_000)
    findings = lint_paths([tmp_path])
    assert [(Path(f.path).name, f.rule_id) for f in findings] == [("pay.js", "charges-api")]


def test_lint_paths_accepts_file_lists_and_missing_paths_raise(tmp_path: Path) -> None:
    file = tmp_path / "a.rb"
    file.write_text("Stripe::Charge.create(amount: 1)\n")
    assert len(lint_paths([file, str(file)])) == 1
    with pytest.raises(FileNotFoundError):
        lint_paths([tmp_path / "missing.py"])


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_text_format_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "pay.py"
    file.write_text("import stripe\n\nstripe.Charge.create(amount=1)\n")
    assert main_lint([str(file)]) == 1
    out = capsys.readouterr().out
    assert f"{file}:3:1: error charges-api " in out
    assert "    fix: Use a Checkout Session or a PaymentIntent" in out
    assert "1 finding (1 error, 0 warning, 0 advice)" in out


def test_cli_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "pay.ts"
    file.write_text("const s = new Stripe(k, { apiVersion: '2020-08-27' });\n")
    assert main_lint(["--format", "json", str(file)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"] == {"error": 0, "warning": 1, "advice": 0}
    [finding] = payload["findings"]
    assert finding["rule_id"] == "api-version-pin"
    assert (finding["line"], finding["column"]) == (1, 27)


def test_cli_clean_and_advice_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "ok.py"
    clean.write_text("import stripe\nclient = stripe.StripeClient(KEY)\n")
    assert main_lint([str(clean)]) == 0
    assert "0 findings" in capsys.readouterr().out
    advice = tmp_path / "global.py"
    advice.write_text("import os\nimport stripe\nstripe.api_key = os.environ['KEY']\n")
    assert main_lint([str(advice), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [f["severity"] for f in payload["findings"]] == ["advice"]


@pytest.mark.parametrize("argv", [[], ["--format", "xml", "."], ["--nope", "."]])
def test_cli_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main_lint(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: stripe-power lint" in captured.err


def test_cli_missing_path_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_lint([str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_cli_pre_commit_style_file_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for name, text in {
        "README.md": "stripe.charges.create(",
        "ok.js": "const s = require('stripe')(process.env.KEY);\n",
        "image.png": "",
    }.items():
        (tmp_path / name).write_text(text)
        files.append(str(tmp_path / name))
    assert main_lint(files) == 0
    capsys.readouterr()


# --- rule table ----------------------------------------------------------------------------------


def test_rule_table_is_complete_data() -> None:
    expected = {
        "charges-api",
        "sources-api",
        "tokens-api",
        "payment-method-types",
        "api-version-pin",
        "plans-api",
        "card-element",
        "client-create-payment-method",
        "secret-key-in-source",
        "webhook-signature-unverified",
        "global-api-key",
    }
    assert set(LINT_RULES) == expected
    for rule in LINT_RULES.values():
        assert rule.severity in {"error", "warning", "advice"}
        assert rule.title and rule.why and rule.fix
        assert rule.doc_url.startswith("https://")
    assert LINT_RULES["global-api-key"].severity == "advice"


def test_shared_ids_exist_in_guardrails() -> None:
    guardrails = pytest.importorskip("stripe_power.guardrails")
    from stripe_power.lint._rules import SHARED_WITH_GUARDRAILS

    ids = {rule.id for rule in getattr(guardrails, "RULES", ())}
    if not ids:
        pytest.skip("guardrails has no RULES table yet")
    assert ids >= SHARED_WITH_GUARDRAILS
