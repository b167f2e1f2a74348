"""Every hint leads to a listed tool (issue 28, item 1).

For several configurations (default, all, read-only, a single toolset, with and without the
sandbox), everything the server says is scanned for tool-like names: tool descriptions and
instructions, every prompt, every resource, and the results and errors of a round of calls on
objects in many states (next steps, refusals, argument errors, unknown tools). A name that is a
tool must be listed in that configuration (`call_stripe_api` counts only where it is listed); a
tool-like name that is no tool must be a Stripe name (a field, parameter or enum value), never an
invented tool. No unrendered reference may leave the server. Next steps of every summary, for
every status Stripe's spec lists, are scanned the same way without a server.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from mcp.types import TextResourceContents

from stripe_power import hints, spec
from stripe_power.config import load_settings
from stripe_power.guardrails import RULES
from stripe_power.prompts import PROMPTS
from stripe_power.tools import TOOLSETS
from stripe_power.tools.checkout import SessionSummary
from stripe_power.tools.invoices import InvoiceSummary
from stripe_power.tools.payment_intents import PaymentIntentSummary
from stripe_power.tools.refunds import RefundSummary
from stripe_power.tools.setup_intents import SetupIntentSummary
from stripe_power.tools.subscriptions import SubscriptionSummary

from .conftest import mcp_client, new_key, settings_for
from .test_guardrail_advice import requests_for
from .test_guidance import PROMPT_ARGS
from .test_refusal_fixes import monthly_price

TOOL_NAMES = frozenset(spec_.name for ts in TOOLSETS for spec_ in ts.tools)
VERBS = (
    "create|retrieve|list|update|cancel|confirm|capture|expire|search|describe|finalize|pay|send|void|"
    "resume|deactivate|detach|wait|verify|get|call|check|advance|delete"
)
TOOL_LIKE = re.compile(rf"\b(?:{VERBS})_[a-z_]+\b")

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {"toolsets": "default"},
    "default-sandbox": {"toolsets": "default", "sandbox": True},
    "all-sandbox": {"toolsets": "all", "sandbox": True},
    "read-only": {"toolsets": "default", "read_only": True},
    "all-read-only": {"toolsets": "all", "read_only": True},
    "checkout-only": {"toolsets": "checkout"},
    "payment-intents-only-sandbox": {"toolsets": "payment_intents", "sandbox": True},
    "invoices-read-only": {"toolsets": "invoices", "read_only": True},
}


@functools.cache
def stripe_words() -> frozenset[str]:
    """Every name Stripe's spec uses: parameters, fields, enum values, event types."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.add(str(key))
                if key == "enum" and isinstance(value, list):
                    found.update(str(v) for v in value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec.schemas())
    for op in spec.operations():
        walk(op.params)
    return frozenset(word for name in found for word in re.split(r"[.\s]", name) if word)


# Tool names that are also Stripe values (`collection_method: send_invoice`): a value, not a tool,
# where it is quoted as one, assigned, or named as a kind of invoice.
_VALUES = frozenset(TOOL_NAMES & stripe_words())


def _without_values(text: str) -> str:
    names = "|".join(sorted(_VALUES))
    text = re.sub(rf'"(?:{names})"', '""', text)
    return re.sub(rf"(?:=|\bis )(?:{names})\b|\b(?:{names}) invoice\b", " ", text)


def violations(text: str, listing: hints.Listing, called: str | None = None) -> list[str]:
    """What in `text` names a tool this listing does not list, or a tool that does not exist."""
    problems = []
    if hints.OPEN in text or hints.CLOSE in text:
        problems.append(f"unrendered reference in {text[:200]!r}")
    for name in set(TOOL_LIKE.findall(_without_values(text))):
        if name in TOOL_NAMES:
            if name not in listing.tools and name != called:
                problems.append(f"{name} (not listed) in {text[:300]!r}")
        elif name not in stripe_words():
            problems.append(f"{name} (no such tool, nor a Stripe name) in {text[:300]!r}")
    return problems


# --- the synthetic round: every summary's next step, for every status -------------------------
def _statuses(schema: str) -> list[str]:
    status = spec.schemas()[schema]["properties"]["status"]
    return [str(value) for value in spec.deref(status).get("enum", [])]


def _fixture(kind: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(json.dumps(spec.fixtures()[kind]))
    return found


def next_steps() -> Iterator[str]:
    """The next step of each summary for every status its object can have, with the variations
    that change it (a failed attempt, redirects on, a pending cancellation, how an invoice is
    collected, a refunded or disputed payment)."""
    for status in _statuses("payment_intent"):
        for error in (None, {"decline_code": "insufficient_funds", "code": "card_declined"}):
            for redirects in ("always", "never"):
                pi = _fixture("payment_intent") | {
                    "id": "pi_1",
                    "status": status,
                    "last_payment_error": error,
                }
                pi["automatic_payment_methods"] = {"enabled": True, "allow_redirects": redirects}
                pi["amount_capturable"] = 500
                yield from _texts(PaymentIntentSummary.of(pi, with_secret=True))
    charge = _fixture("charge") | {"captured": True, "amount": 500, "amount_refunded": 200, "disputed": True}
    pi = _fixture("payment_intent") | {"id": "pi_1", "status": "succeeded", "latest_charge": charge}
    yield from _texts(PaymentIntentSummary.of(pi))
    for status in _statuses("setup_intent"):
        for error in (None, {"code": "setup_intent_authentication_failure"}):
            si = _fixture("setup_intent") | {"id": "seti_1", "status": status, "last_setup_error": error}
            si |= {"customer": "cus_1", "usage": "off_session", "payment_method": "pm_1"}
            yield from _texts(SetupIntentSummary.of(si, with_secret=status != "succeeded"))
    for status in ("open", "complete", "expired"):
        for mode in ("payment", "subscription", "setup"):
            for payment_status in ("paid", "unpaid"):
                cs = _fixture("checkout.session") | {"id": "cs_1", "status": status, "mode": mode}
                cs["payment_status"] = payment_status
                yield from _texts(SessionSummary.of(cs))
    for status in _statuses("subscription"):
        for pending in ({}, {"cancel_at_period_end": True}, {"pause_collection": {"behavior": "void"}}):
            for method in ("charge_automatically", "send_invoice"):
                sub = _fixture("subscription") | {
                    "id": "sub_1",
                    "status": status,
                    "collection_method": method,
                }
                sub |= pending | {"latest_invoice": {"id": "in_1", "status": "open"}}
                yield from _texts(SubscriptionSummary.of(sub))
    for status in _statuses("invoice"):
        for method in ("charge_automatically", "send_invoice"):
            invoice = _fixture("invoice") | {"id": "in_1", "status": status, "collection_method": method}
            yield from _texts(InvoiceSummary.of(invoice))
    for status in ("pending", "requires_action", "succeeded", "failed", "canceled"):
        yield from _texts(RefundSummary.of(_fixture("refund") | {"id": "re_1", "status": status}))


def _texts(summary: Any) -> Iterator[str]:
    yield json.dumps(summary.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def test_the_scan_finds_what_it_looks_for() -> None:
    listing = hints.Listing(frozenset({"call_stripe_api"}))
    assert violations("then confirm_payment_intent it", listing)
    assert violations("then create_everything_now", listing)  # a tool-like name that is no tool
    assert violations("left \u27e6create_price\u27e7", listing)
    assert not violations('call_stripe_api {"method": "GET"}; collection_method=send_invoice', listing)


def test_every_summary_next_step_names_a_listed_tool_in_every_configuration(tmp_path: Path) -> None:
    texts = list(next_steps())
    assert len(texts) > 100 and sum(hints.OPEN in text for text in texts) > 40
    problems = []
    for options in CONFIGURATIONS.values():
        settings = load_settings({"STRIPE_SECRET_KEY": new_key()}, state_dir=str(tmp_path), **options)
        listing = hints.Listing.of(settings)
        for text in texts:
            problems += violations(
                json.dumps(hints.render_data(json.loads(text), listing), ensure_ascii=False), listing
            )
    assert problems == []


# --- the protocol round ------------------------------------------------------------------------
class Objects:
    """Objects in the states that make the server give next steps, made through Stripe's SDK."""

    def __init__(self, sandbox: Any, key: str) -> None:
        client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
        v1 = client.v1
        never = {"enabled": True, "allow_redirects": "never"}
        self.customer = v1.customers.create(params={"email": "hint@example.com"}).id

        def intent(payment_method: str, **extra: Any) -> str:
            params = {"amount": 2000, "currency": "usd", "payment_method": payment_method, "confirm": True}
            try:
                return str(v1.payment_intents.create(params={**params, **extra}).id)
            except stripe.CardError as error:
                return str(error.error.payment_intent.id)  # type: ignore[union-attr]

        self.declined = intent("pm_card_chargeDeclined", automatic_payment_methods=never)
        self.action = intent("pm_card_authenticationRequired", return_url="https://example.com/r")
        self.held = intent("pm_card_visa", automatic_payment_methods=never, capture_method="manual")
        self.paid = intent("pm_card_visa", automatic_payment_methods=never)
        v1.refunds.create(params={"payment_intent": self.paid, "amount": 500})
        self.disputed = intent("pm_card_createDispute", automatic_payment_methods=never)
        self.unpaid = str(v1.payment_intents.create(params={"amount": 900, "currency": "usd"}).id)
        self.setup = str(v1.setup_intents.create(params={"customer": self.customer}).id)
        line = {
            "price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "X"}},
            "quantity": 1,
        }
        session = {"mode": "payment", "line_items": [line], "success_url": "https://example.com/ok"}
        self.session = str(v1.checkout.sessions.create(params=session).id)
        expired = str(v1.checkout.sessions.create(params=session).id)
        v1.checkout.sessions.expire(expired)
        self.expired = expired
        price = monthly_price(v1, 700)
        self.incomplete = str(
            v1.subscriptions.create(
                params={
                    "customer": self.customer,
                    "items": [{"price": price}],
                    "payment_behavior": "default_incomplete",
                }
            ).id
        )
        self.draft = str(v1.invoices.create(params={"customer": self.customer, "auto_advance": False}).id)
        sent = v1.invoices.create(
            params={"customer": self.customer, "collection_method": "send_invoice", "days_until_due": 7}
        ).id
        v1.invoice_items.create(
            params={"customer": self.customer, "invoice": sent, "amount": 300, "currency": "usd"}
        )
        self.open_send = str(v1.invoices.finalize_invoice(sent).id)
        self.clock = str(v1.test_helpers.test_clocks.create(params={"frozen_time": 1767225600}).id)

    def probes(self) -> list[tuple[str, dict[str, Any]]]:
        """(tool, arguments): reads of each object, writes that refuse or fail with advice, and
        every tool once with no arguments (its argument error)."""
        probes: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in sorted(TOOL_NAMES)]
        for pi in (self.declined, self.action, self.held, self.paid, self.disputed, self.unpaid):
            probes.append(("retrieve_payment_intent", {"payment_intent": pi}))
        probes += [
            ("retrieve_setup_intent", {"setup_intent": self.setup}),
            ("retrieve_checkout_session", {"session": self.session}),
            ("retrieve_checkout_session", {"session": self.expired}),
            ("retrieve_subscription", {"subscription": self.incomplete}),
            ("retrieve_invoice", {"invoice": self.draft}),
            ("retrieve_invoice", {"invoice": self.open_send}),
            ("list_refunds", {"payment_intent": self.paid}),
            ("create_refund", {"payment_intent": self.held}),
            ("pay_invoice", {"invoice": self.open_send}),
            ("pay_checkout_session", {"session": self.session, "payment_method": "pm_card_chargeDeclined"}),
            ("pay_checkout_session", {"session": self.session, "promotion_code": "NOPE"}),
            (
                "create_payment_intent",
                {"amount": 500, "currency": "usd", "payment_method": "tok_visa", "confirm": True},
            ),
            ("create_payment_intent", {"amount": 500, "currency": "usd", "payment_method_types": ["card"]}),
            ("create_checkout_session", {"mode": "payment", "payment_method_types": ["card"]}),
            ("confirm_payment_intent", {"payment_intent": self.declined, "payment_method": "pm_card_visa"}),
            ("wait_for_event", {"type": "invoice.voided", "timeout_seconds": 1}),
            ("verify_webhook_signature", {"event": "evt_missing"}),
            ("send_test_webhook", {"url": "https://example.com/hook", "type": "payment_intent.succeeded"}),
            ("advance_test_clock", {"test_clock": self.clock, "days": 1}),
            ("search_stripe_api", {"query": "create a promotion code"}),
            ("describe_stripe_api", {"method": "GET", "path": "/v1/nothing_here"}),
            ("describe_stripe_api", {"method": "POST", "path": "/v1/credit_notes"}),
            ("cancel_subscription", {"subscription": self.incomplete, "at_period_end": True}),
        ]
        api = [
            {"method": "POST", "path": "/v1/promotion_codes", "params": {"coupon": "co_1", "code": "X"}},
            {
                "method": "POST",
                "path": "/v1/customers",
                "params": {"invoice_settings": {"default_payment_method": "tok_visa"}},
            },
            {"method": "PUT", "path": "/v1/customers"},
            {"method": "GET", "path": f"/v1/payment_intents/{self.declined}"},
        ]
        for rule in RULES:
            for match in rule.matches:
                for method, path, params in requests_for(match)[:3]:
                    api.append({"method": method, "path": path, "params": params})
        probes += [("call_stripe_api", arguments) for arguments in api]
        return probes


def _text(result: Any) -> str:
    return "\n".join(getattr(item, "text", "") for item in result.content)


async def _emitted(client: Any, objects: Objects) -> Iterator[tuple[str, str | None]]:
    """(text, the tool it was a call of) for everything the server says."""
    out: list[tuple[str, str | None]] = []
    out.append((client.instructions or "", None))
    for tool in (await client.list_tools()).tools:
        out.append((tool.description or "", None))
    for prompt in (await client.list_prompts()).prompts:
        rendered = await client.get_prompt(prompt.name, PROMPT_ARGS[prompt.name])
        out.append((rendered.messages[0].content.text, None))
    for resource in (await client.list_resources()).resources:
        for item in (await client.read_resource(resource.uri)).contents:
            assert isinstance(item, TextResourceContents)
            out.append((item.text, None))
    for uri in (f"stripe://payment_intent/{objects.declined}", f"stripe://invoice/{objects.draft}"):
        for item in (await client.read_resource(uri)).contents:
            out.append((item.text, None))  # type: ignore[union-attr]
    for tool, arguments in objects.probes():
        out.append((_text(await client.call_tool(tool, arguments)), tool))
    return iter(out)


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
async def test_everything_the_server_says_names_only_listed_tools(
    sandbox: Any, tmp_path: Path, name: str
) -> None:
    key = new_key()
    objects = Objects(sandbox, key)
    settings = settings_for(sandbox.url, tmp_path, api_key=key, **CONFIGURATIONS[name])
    listing = hints.Listing.of(settings)
    problems: list[str] = []
    texts = []
    async with mcp_client(settings) as client:
        for text, tool in await _emitted(client, objects):
            # An unknown tool's answer names the tool the caller asked for: that one only.
            called = tool if tool is not None and tool not in listing.tools else None
            problems += violations(text, listing, called)
            texts.append(text)
    assert problems == [], "\n".join(problems[:20])
    assert len(texts) > 120
    # The round reached hints that name tools, written for this configuration.
    generic = sum('call_stripe_api {"method"' in text for text in texts)
    assert generic > 5 if name == "default" else listing.api or generic == 0
    if not listing.may_call("POST"):  # what no listed tool can do is shown as the request itself
        assert sum("(a Stripe request; " in text for text in texts) > 5


async def test_an_unknown_tool_says_where_it_is_and_the_call_that_does_the_same(
    sandbox: Any, tmp_path: Path
) -> None:
    key = new_key()
    pi = stripe.StripeClient(key, base_addresses={"api": sandbox.url}).v1.payment_intents.create(
        params={
            "amount": 700,
            "currency": "usd",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    async with mcp_client(settings_for(sandbox.url, tmp_path, api_key=key, toolsets="default")) as client:
        answer = await client.call_tool(
            "confirm_payment_intent", {"payment_intent": pi.id, "payment_method": "pm_card_visa"}
        )
        text = _text(answer)
        assert answer.is_error
        assert "toolset payment_intents" in text
        found = re.search(r"Instead: call_stripe_api (\{.*\})\.$", text)
        assert found, text
        arguments = json.loads(found.group(1))
        assert arguments == {
            "method": "POST",
            "path": f"/v1/payment_intents/{pi.id}/confirm",
            "params": {"payment_method": "pm_card_visa"},
        }
        done = json.loads(_text(await client.call_tool("call_stripe_api", arguments)))
        typo = _text(await client.call_tool("retrieve_paymnet_intent", {}))
    assert done["status"] == "succeeded"
    assert "Unknown tool: retrieve_paymnet_intent. Did you mean retrieve_payment_intent," in typo


def test_references_in_data_name_real_tools() -> None:
    """The references written in text data (the guide, rule advice, docstrings) name real tools."""
    from stripe_power.resources import best_practices

    texts = [best_practices(), *(rule.instead for rule in RULES)]
    texts += [spec_.fn.__doc__ or "" for ts in TOOLSETS for spec_ in ts.tools]
    named = [tool for text in texts for tool, _ in hints.references(text)]
    raw = [m for text in texts for m in re.findall(hints.OPEN + r"([a-z_]+)", text)]
    assert named and sorted(named) == sorted(raw)
    assert set(named) <= TOOL_NAMES


def test_prompts_no_longer_ask_for_a_restart(tmp_path: Path) -> None:
    """An agent cannot restart its own server: no prompt or POWER.md line tells it to."""
    power = (Path(__file__).resolve().parent.parent / "POWER.md").read_text()
    for prompt in PROMPTS:
        arguments = PROMPT_ARGS[prompt.__name__].items()
        text = prompt(**{k: int(v) if v.isdigit() else v for k, v in arguments})
        assert "--toolsets" not in text and "start the server" not in text, prompt.__name__
    assert "--toolsets" not in power and "start the server with" not in power.lower()


def test_a_listed_tool_is_preferred_to_the_generic_call() -> None:
    """The same reference, written for three configurations."""
    reference = hints.call("capture_payment_intent", payment_intent="pi_1", amount_to_capture=500)
    all_tools = hints.Listing.everything()
    default = hints.Listing(frozenset({"call_stripe_api"}))
    read_only = hints.Listing(frozenset({"call_stripe_api"}), read_only=True)
    assert (
        hints.render(reference, all_tools)
        == 'capture_payment_intent {"payment_intent": "pi_1", "amount_to_capture": 500}'
    )
    assert hints.render(reference, default) == (
        'call_stripe_api {"method": "POST", "path": "/v1/payment_intents/pi_1/capture", '
        '"params": {"amount_to_capture": 500}}'
    )
    assert hints.render(reference, read_only) == (
        'POST /v1/payment_intents/pi_1/capture {"amount_to_capture": 500} (a Stripe request; a write, and this configuration is read-only)'
    )
    # A generic call a listed typed tool makes is written as that tool.
    generic = hints.api_call("GET", "/v1/refunds/re_1")
    assert hints.render(generic, hints.Listing(frozenset({"retrieve_refund", "call_stripe_api"}))) == (
        'retrieve_refund {"refund": "re_1"}'
    )


async def test_with_oauth_hints_follow_the_callers_access_rule(sandbox: Any, tmp_path: Path) -> None:
    """One server, two people: a held payment's next step names the capture tool for the payments
    team, and only the request (no tool) for a read-only supporter, who may not capture."""
    from .oidc import openid_provider
    from .test_oauth import Team, _server, oauth_instances, signed_in

    team = Team(tmp_path)
    never = {"enabled": True, "allow_redirects": "never"}
    held: dict[str, str] = {}
    for who, key in (("alice", team.payments), ("carol", team.support)):
        held[who] = stripe.StripeClient(key, base_addresses={"api": sandbox.url}).v1.payment_intents.create(
            params={"amount": 900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
                    "capture_method": "manual", "automatic_payment_methods": never}
        ).id  # fmt: skip
    with openid_provider() as idp:
        settings, port, resource = _server(idp, team, sandbox)
        with oauth_instances(settings, [port]) as (url,):
            steps = {}
            for who in ("alice", "carol"):
                async with signed_in(url, idp.token(who, resource)) as client:
                    result = await client.call_tool("retrieve_payment_intent", {"payment_intent": held[who]})
                    steps[who] = json.loads(_text(result))["next_step"]
    assert f'capture_payment_intent {{"payment_intent": "{held["alice"]}"}}' in steps["alice"]
    assert "capture_payment_intent" not in steps["carol"] and "call_stripe_api" not in steps["carol"]
    assert (
        f"POST /v1/payment_intents/{held['carol']}/capture (a Stripe request; a write, and this configuration is read-only)"
        in steps["carol"]
    )
