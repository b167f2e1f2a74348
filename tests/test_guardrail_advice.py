"""Guardrail advice names only what the agent can use (issue 14, item 4).

Generated from the rule table and the registry: every rule fires, through an MCP client, on
every tool it can fire on (each typed tool given `payment_method_types`; `call_stripe_api` with
a request built from each of the rule's matchers), and each name the advice puts in backticks
is a parameter of that tool (for `call_stripe_api`: of the Stripe endpoint called) or a tool.
Nothing reaches Stripe.
"""

from __future__ import annotations

import re
from typing import Any

from stripe_power import spec
from stripe_power.guardrails import RULES, Match, violation
from stripe_power.tools import TOOLSETS

from .conftest import Connect, error_text
from .fakes import RecordingStripe

TOOL_NAMES = {tool.name for ts in TOOLSETS for tool in ts.tools}


def advice_names(message: str) -> set[str]:
    """Backticked names in the advice (`Use instead: ... Docs:`) of a refusal."""
    advice = message.split("Use instead:", 1)[1].split(" Docs:", 1)[0]
    return set(re.findall(r"`([^`]+)`", advice))


def concrete(pattern: str) -> str:
    """A path the matcher's regex accepts: optional groups left out, ids filled in."""
    path = re.sub(r"\([^()]*\)\?", "", pattern)
    path = re.sub(r"\(([^|()]+)\|[^()]*\)", r"\1", path).replace("[^/]+", "obj_1")
    assert re.fullmatch(pattern, path, re.IGNORECASE), (pattern, path)
    return path


def nested(dotted: str, value: Any) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    return {head: nested(rest, value) if rest else value}


def requests_for(match: Match) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, params) that this matcher refuses."""
    method = "POST" if not match.methods or "POST" in match.methods else sorted(match.methods)[0]
    paths = [concrete(p) for p in match.paths] or ["/v1/payment_intents"]
    base = {"amount": 100, "currency": "usd"}
    if match.check == "endpoint":
        return [(method, path, {}) for path in paths]
    if match.check == "param" and match.param:
        # A Stripe parameter: every operation the spec lists it on, at each place it sits.
        ops = [(key.split(" ", 1), places) for key, places in spec.holders(match.param).items()]
        return [
            (verb, re.sub(r"\{[^}]+\}", "obj_1", template), nested(".".join(where), ["card"]))
            for (verb, template), places in ops
            if not match.methods or verb in match.methods
            if match.within is None or re.fullmatch(match.within, template)
            # An endpoint another rule refuses whole (POST /v1/charges) answers with that rule.
            if violation(verb, re.sub(r"\{[^}]+\}", "obj_1", template), {}) is None
            for where in places
        ]
    if match.check == "param":
        return [(method, path, nested(name, ["card"])) for path in paths for name in match.params]
    if match.check == "card-number":
        return [(method, path, {**base, "metadata": {"note": "4242 4242 4242 4242"}}) for path in paths]
    destination = {"transfer_data": {"destination": "acct_1"}, "on_behalf_of": "acct_2"}
    return [(method, path, {**base, **destination}) for path in paths]


async def test_payment_method_types_advice_fits_every_typed_tool(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
        checked = 0
        for tool in tools:
            if tool.name == "call_stripe_api":
                continue  # its `params` are the endpoint's: the next test
            message = error_text(await client.call_tool(tool.name, {"payment_method_types": ["card"]}))
            assert "Refused by guardrail `payment-method-types`" in message, (tool.name, message)
            known = set(tool.input_schema.get("properties", {})) | TOOL_NAMES
            assert advice_names(message) <= known, (tool.name, message)
            checked += 1
    assert checked == len(tools) - 1 > 40
    assert fake.requests == []


async def test_every_rule_advice_fits_the_endpoint_it_fired_on(
    fake: RecordingStripe, connect: Connect
) -> None:
    fired: set[str] = set()
    async with connect() as client:
        for rule in RULES:
            for match in rule.matches:
                for method, path, params in requests_for(match):
                    args = {"method": method, "path": path, "params": params}
                    message = error_text(await client.call_tool("call_stripe_api", args))
                    assert f"Refused by guardrail `{rule.id}`" in message, (args, message)
                    op = spec.resolve(method, path)
                    for name in advice_names(message):
                        assert name in TOOL_NAMES or (op is not None and spec.lookup(op, name)), (
                            args,
                            message,
                        )
                    fired.add(rule.id)
    assert fired == {rule.id for rule in RULES if rule.matches}
    assert fake.requests == []


def test_rules_that_are_not_requests_name_no_parameter() -> None:
    for rule in RULES:
        if not rule.matches:
            assert advice_names(rule.message()) <= TOOL_NAMES, rule.id


async def test_advice_keeps_excluded_payment_method_types_where_it_exists(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        checkout = error_text(
            await client.call_tool(
                "create_checkout_session", {"mode": "payment", "payment_method_types": ["card"]}
            )
        )
        setup = error_text(await client.call_tool("create_setup_intent", {"payment_method_types": ["card"]}))
        link = error_text(
            await client.call_tool(
                "call_stripe_api",
                {"method": "POST", "path": "/v1/payment_links", "params": {"payment_method_types": ["card"]}},
            )
        )
    assert "`excluded_payment_method_types`" in checkout
    assert "omit it to get dynamic payment methods" in setup and "excluded_payment_method_types" not in setup
    assert "excluded_payment_method_types" not in link
    assert fake.requests == []
