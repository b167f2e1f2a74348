"""The linter through MCP (`check_integration_code`) and the CLI (`stripe-power lint`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

BAD_PY = """import stripe
client = stripe.StripeClient(KEY)
charge = stripe.Charge.create(amount=500, currency="usd", source="tok_visa")
session = client.checkout.sessions.create(params={"mode": "payment", "payment_method_types": ["card"]})
# stripe.Charge.create is only mentioned here
"""


async def test_check_integration_code_finds_rules_by_line(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        report = payload(
            await client.call_tool("check_integration_code", {"source": BAD_PY, "filename": "pay.py"})
        )
        unknown = error_text(
            await client.call_tool("check_integration_code", {"source": "x", "filename": "a.txt"})
        )
    found = {(f["rule_id"], f["line"]) for f in report["findings"]}
    assert found == {("charges-api", 3), ("payment-method-types", 4)}
    assert report["errors"] + report["warnings"] == 2
    assert "`language`" in unknown
    assert tools["check_integration_code"].annotations.open_world_hint is False
    assert fake.requests == []


def test_cli_lint_exit_codes_and_json(tmp_path: Path) -> None:
    bad = tmp_path / "pay.py"
    bad.write_text(BAD_PY)
    good = tmp_path / "ok.py"
    good.write_text("import stripe\nclient = stripe.StripeClient(KEY)\n")
    run = [sys.executable, "-m", "stripe_power", "lint"]
    dirty = subprocess.run([*run, str(bad), "--format", "json"], capture_output=True, text=True, timeout=60)
    clean = subprocess.run([*run, str(good)], capture_output=True, text=True, timeout=60)
    assert dirty.returncode == 1
    assert {f["rule_id"] for f in json.loads(dirty.stdout)["findings"]} == {
        "charges-api",
        "payment-method-types",
    }
    assert clean.returncode == 0


async def test_language_choices_match_the_linter(fake: RecordingStripe, connect: Connect) -> None:
    from stripe_power.lint import LANGUAGES

    async with connect() as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "check_integration_code")
    assert set(tool.input_schema["properties"]["language"]["enum"]) == set(LANGUAGES)
