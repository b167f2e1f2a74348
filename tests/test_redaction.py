"""Secrets and card numbers are redacted anywhere in any string, dict keys included (issue 13, class 4):
in audit lines, tool results, tool errors and log records."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from stripe_power import audit
from stripe_power.audit import RedactingFilter, redact, redact_text
from stripe_power.cli import setup_logging

from .conftest import Connect, error_text, payload
from .fakes import Recorded, RecordingStripe


def secrets() -> list[str]:
    body = uuid.uuid4().hex + "Zq9"
    return [f"sk_live_{body}", f"sk_test_{body}", f"rk_live_{body}", f"rk_test_{body}", f"whsec_{body}"]


# Where a secret may sit in a string: alone, glued to a word or an underscore, inside a URL or JSON.
PLACES = ["{}", "key{}", "my_{}", "x{}y", "Bearer:{}", "url?k={}&a=1", '{{"k":"{}"}}', "a-{}-b", "{}_tail"]
CASES = [(place, secret) for place in PLACES for secret in secrets()]


@pytest.mark.parametrize(("place", "secret"), CASES)
def test_redact_text_anywhere(place: str, secret: str) -> None:
    body = secret.split("_")[-1]
    out = redact_text(place.format(secret))
    assert body not in out and body[:12] not in out and "[redacted]" in out


@pytest.mark.parametrize("secret", secrets())
def test_redact_reaches_dict_keys_and_nested_values(secret: str) -> None:
    body = secret.split("_")[-1]
    value = {"metadata": {f"note{secret}": "v", "k": [f"id_{secret}"]}, f"{secret}": {"x": 1}}
    assert body not in json.dumps(redact(value))


def test_invisible_characters_do_not_split_a_secret() -> None:
    body = uuid.uuid4().hex
    out = redact_text(f"sk_live_{body[:10]}\u200b{body[10:]}")
    assert body[:10] not in out and body[10:] not in out


async def test_secrets_never_reach_audit_results_errors_or_logs(
    fake: RecordingStripe, connect: Connect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live, test, restricted, _, _ = secrets()
    whsec = "whsec_" + uuid.uuid4().hex[:30]  # a metadata key is at most 40 characters
    echo: dict[str, Any] = {}

    def answer(request: Recorded) -> tuple[int, dict[str, Any]]:
        echo.update({"id": "cus_1", "object": "customer", "description": dict(request.form)["description"],
                     "metadata": {k[9:-1]: v for k, v in request.form if k.startswith("metadata[")}})  # fmt: skip
        return 200, echo

    fake.on("POST", "/v1/customers", answer)
    fake.on("POST", "/v1/coupons", {"error": {"type": "invalid_request_error",
                                              "message": f"Bad value key{restricted}here"}}, status=400)  # fmt: skip
    params = {"description": f"note{live}glued", "metadata": {f"k{whsec}": f"v_{test}"}}
    caplog.set_level(logging.DEBUG)
    setup_logging("DEBUG")  # what `stripe-power serve` does: a redacting filter on every handler
    assert any(isinstance(f, RedactingFilter) for h in logging.getLogger().handlers for f in h.filters)
    async with connect() as client:
        result = payload(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": params}
        ))  # fmt: skip
        # Stripe's own error message quoting a secret back
        error = error_text(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/coupons", "params": {"percent_off": 5}}
        ))  # fmt: skip
        # the server's own error, quoting the caller's value (too long for `name`)
        error += error_text(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/coupons", "params": {"name": f"x{live}"}}
        ))  # fmt: skip
    logging.getLogger("stripe_power.test").warning("leaked? %s %s", live, {f"k{whsec}": 1})
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    logs = "\n".join(caplog.handler.format(r) for r in caplog.records)
    places = {"audit": audit, "result": json.dumps(result), "error": error, "logs": logs}
    bodies = {s.split("_")[-1] for s in (live, test, restricted, whsec)}
    leaked = [(where, body) for where, text in places.items() for body in bodies if body in text]
    assert leaked == []
    # the request itself went out as sent: redaction is for what is written down, not for Stripe
    assert dict(fake.requests[0].form)["description"] == f"note{live}glued"
    assert [r.path for r in fake.requests] == ["/v1/customers", "/v1/coupons"]
    assert "[redacted]" in audit and "[redacted]" in error and "[redacted]" in logs


def test_a_str_subclass_is_redacted_by_its_text_not_its_methods() -> None:
    """The quick "nothing to redact" test reads the text, never a subclass's own methods (review)."""

    class Lying(str):
        def __len__(self) -> int:
            return 1

        def __contains__(self, _: object) -> bool:
            return False

        def isprintable(self) -> bool:
            return True

    value = Lying("sk_live_abcdef123456 4242424242424242")
    expected = "sk_live_…[redacted] [card number redacted]"
    assert audit.redact({"k": value, value: 1}) == {"k": expected, expected: 1}
    assert audit.redact(value) == expected and audit.redact([value]) == [expected]
    assert audit.redact_result({"k": value})["k"] == expected
    assert json.loads(audit.audit_line({"k": value}))["k"] == expected
