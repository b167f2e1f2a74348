"""Result size: bytes of this server's tool result vs the raw Stripe object for the same object.

Run: ``python bench/result_size.py``. Objects are made through the MCP tools (in-process client)
against an in-process offline sandbox; the raw object is then fetched from the same sandbox with
the same key over plain HTTP. Raw bytes are Stripe's JSON re-serialised compactly (the real API
pretty-prints, which would make the ratio look better than it is). Goals: at most 20% of the raw
size, keeping every field the next step needs (listed per object and step in NEEDS); through
`call_stripe_api` (GET of the same object: its view), no more than the typed tool's read of it
(issue 28); every other object type's view smaller than the raw object; and a list of 10
invoices through `call_stripe_api` at most 2 KB (it was 8.4 KB when it returned raw objects).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import stripe
from _common import Row, at_most, info, quiet_logging
from mcp.client import Client

from stripe_power import spec
from stripe_power.config import load_settings
from stripe_power.sandbox import SandboxServer
from stripe_power.server import create_server
from stripe_power.tools import TOOLSET_NAMES
from stripe_power.views.fields import lookup

GOAL = 0.20
LIST_GOAL = 2048  # bytes: 10 invoices through call_stripe_api (issue 28)
SUCCESS_URL = "https://example.com/done?session={CHECKOUT_SESSION_ID}"

# What an agent reads from each result to take its next step (dotted paths for nested fields).
NEEDS: dict[tuple[str, str], list[str]] = {
    # create: send the customer to url; retrieve after payment: fulfil, refund via payment_intent
    ("checkout_session", "create"): ["id", "status", "url", "amount_total", "currency", "next_step"],
    ("checkout_session", "retrieve"): ["id", "status", "payment_status", "payment_intent", "customer"],
    # create (confirmed): done or next_step; retrieve: what was received, to refund or capture
    ("payment_intent", "create"): ["id", "status", "amount", "currency", "latest_charge"],
    ("payment_intent", "retrieve"): ["id", "status", "amount_received", "currency", "customer"],
    # create: status and the first invoice; retrieve: items to update, period to cancel at
    ("subscription", "create"): ["id", "status", "customer", "latest_invoice.id", "current_period_end"],
    ("subscription", "retrieve"): [
        "id",
        "status",
        "items.0.id",
        "items.0.price",
        "current_period_end",
        "default_payment_method",
    ],
    # create: the draft to add items to; retrieve (finalized): the page to pay and what is due
    ("invoice", "create"): ["id", "status", "customer", "next_step"],
    ("invoice", "retrieve"): ["id", "status", "number", "hosted_invoice_url", "amount_due", "currency"],
    # create: did it go through, and what is left to refund
    ("refund", "create"): ["id", "status", "amount", "currency", "payment_intent", "remaining_refundable"],
    ("refund", "retrieve"): ["id", "status", "amount", "currency", "payment_intent"],
}

FIXTURE = {  # Stripe's own example objects (fixtures3.json), for scale
    "checkout_session": "checkout.session",
    "payment_intent": "payment_intent",
    "subscription": "subscription",
    "invoice": "invoice",
    "refund": "refund",
}

TYPED_READ = {  # object -> (the typed tool that reads one, its id parameter)
    "checkout_session": ("retrieve_checkout_session", "session"),
    "payment_intent": ("retrieve_payment_intent", "payment_intent"),
    "subscription": ("retrieve_subscription", "subscription"),
    "invoice": ("retrieve_invoice", "invoice"),
    "refund": ("retrieve_refund", "refund"),
}

RAW_PATH = {
    "checkout_session": "/v1/checkout/sessions/",
    "payment_intent": "/v1/payment_intents/",
    "subscription": "/v1/subscriptions/",
    "invoice": "/v1/invoices/",
    "refund": "/v1/refunds/",
}


@dataclass
class Measured:
    object: str
    step: str
    result_bytes: int
    raw_bytes: int
    missing: list[str]

    @property
    def ratio(self) -> float:
        return self.result_bytes / self.raw_bytes


def text_of(result: Any) -> str:
    text: str = result.content[0].text
    if result.is_error:
        raise RuntimeError(f"tool error: {text}")
    return text


@dataclass
class Generic:
    """One object read through `call_stripe_api`: its view's bytes against the raw object's and,
    where a typed tool reads that type, against the typed read's."""

    object: str
    view_bytes: int
    raw_bytes: int
    typed_bytes: int | None = None


class Bench:
    def __init__(self, client: Client, http: httpx.AsyncClient, api_base: str) -> None:
        self.client, self.http, self.api_base = client, http, api_base
        self.measured: list[Measured] = []
        self.generic: list[Generic] = []
        self.ids: dict[str, str] = {}  # object -> id, of the objects measured above

    async def raw(self, path: str, params: dict[str, Any] | None = None) -> int:
        response = await self.http.get(self.api_base + path, params=params)
        response.raise_for_status()
        return len(json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False).encode())

    async def through_api(self, obj: str, path: str, params: dict[str, Any] | None = None) -> Generic:
        """GET `path` through call_stripe_api (the view) and over plain HTTP (the raw object)."""
        arguments: dict[str, Any] = {"method": "GET", "path": path, **({"params": params} if params else {})}
        text = text_of(await self.client.call_tool("call_stripe_api", arguments))
        found = Generic(obj, len(text.encode()), await self.raw(path, params))
        self.generic.append(found)
        return found

    async def call(
        self, obj: str | None, step: str | None, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """Call `tool`; when `obj` and `step` are given, measure the result against the raw object."""
        text = text_of(await self.client.call_tool(tool, arguments))
        data: dict[str, Any] = json.loads(text)
        if obj is not None and step is not None:
            response = await self.http.get(self.api_base + RAW_PATH[obj] + data["id"])
            response.raise_for_status()
            raw = len(json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False).encode())
            missing = [path for path in NEEDS[(obj, step)] if lookup(data, path) in (None, "", [])]
            self.measured.append(Measured(obj, step, len(text.encode()), raw, missing))
            self.ids[obj] = data["id"]
        return data


def prepare(api_base: str, key: str) -> tuple[str, str, str, str]:
    """With the SDK: a customer with a saved card, a one-time and a monthly price."""
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    customer = sdk.v1.customers.create({"email": "bench@example.com", "name": "Bench Customer"})
    setup = sdk.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True, "usage": "off_session",
         "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    pm = str(setup.payment_method)
    sdk.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm}})
    product = sdk.v1.products.create({"name": "Pro plan"})
    one_time = sdk.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 2500})
    monthly = sdk.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}}
    )
    return customer.id, pm, one_time.id, monthly.id


async def run_flows(b: Bench, customer: str, pm: str, one_time: str, monthly: str) -> None:
    session = await b.call(
        "checkout_session", "create", "create_checkout_session",
        {"mode": "payment", "customer": customer, "success_url": SUCCESS_URL,
         "line_items": [{"price": one_time, "quantity": 2}]},
    )  # fmt: skip
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:  # the customer pays
        paid = await browser.post(session["url"], data={"card_number": "4242424242424242"})
        if paid.status_code != 303:
            raise RuntimeError(f"hosted checkout payment failed: {paid.status_code} {paid.text[:200]}")
    await b.call("checkout_session", "retrieve", "retrieve_checkout_session", {"session": session["id"]})

    intent = await b.call(
        "payment_intent", "create", "create_payment_intent",
        {"amount": 5000, "currency": "usd", "customer": customer, "payment_method": pm, "confirm": True},
    )  # fmt: skip
    await b.call("payment_intent", "retrieve", "retrieve_payment_intent", {"payment_intent": intent["id"]})

    sub = await b.call(
        "subscription", "create", "create_subscription",
        {"customer": customer, "items": [{"price": monthly}], "default_payment_method": pm,
         "payment_behavior": "error_if_incomplete"},
    )  # fmt: skip
    await b.call("subscription", "retrieve", "retrieve_subscription", {"subscription": sub["id"]})

    invoice = await b.call(
        "invoice", "create", "create_invoice", {"customer": customer, "description": "Workshop"}
    )
    item = {"customer": customer, "invoice": invoice["id"], "pricing": {"price": one_time}}
    await b.call(None, None, "create_invoice_item", item)
    await b.call(None, None, "finalize_invoice", {"invoice": invoice["id"]})
    await b.call("invoice", "retrieve", "retrieve_invoice", {"invoice": invoice["id"]})

    refund = await b.call(
        "refund", "create", "create_refund", {"payment_intent": intent["id"], "amount": 1500}
    )
    await b.call("refund", "retrieve", "retrieve_refund", {"refund": refund["id"]})


async def generic_flows(b: Bench, api_base: str, key: str, customer: str) -> None:
    """Every measured type through call_stripe_api, against its typed read; then the other object
    types of issue 28 (made with the SDK), and a list of 10 invoices."""
    for obj, path in RAW_PATH.items():
        tool, argument = TYPED_READ[obj]
        typed = text_of(await b.client.call_tool(tool, {argument: b.ids[obj]}))  # read now, as the view is
        found = await b.through_api(obj, path + b.ids[obj])
        found.typed_bytes = len(typed.encode())
    made = await asyncio.to_thread(other_objects, api_base, key, customer, b.ids["payment_intent"])
    history = made.pop("invoices for")
    for obj, path in made.items():
        await b.through_api(obj, path)
    await b.through_api("list of 10 invoices", "/v1/invoices", {"customer": history, "limit": 10})


def other_objects(api_base: str, key: str, customer: str, payment_intent: str) -> dict[str, str]:
    """With the SDK: one object of each other type issue 28 names -> the path that reads it; and
    `invoices for`: a customer with 10 invoices (paid, open, draft)."""
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    paths: dict[str, str] = {}
    intent = sdk.v1.payment_intents.retrieve(payment_intent)
    paths["charge"] = f"/v1/charges/{intent.latest_charge}"
    setup = sdk.v1.setup_intents.list({"customer": customer, "limit": 1}).data[0]
    paths["setup_intent"] = f"/v1/setup_intents/{setup.id}"
    paths["payment_method"] = f"/v1/payment_methods/{setup.payment_method}"
    paths["customer"] = f"/v1/customers/{customer}"
    price = sdk.v1.prices.list({"limit": 1}).data[0]
    paths["price"] = f"/v1/prices/{price.id}"
    paths["product"] = f"/v1/products/{price.product}"
    coupon = sdk.v1.coupons.create({"percent_off": 20, "duration": "once", "name": "Launch"})
    paths["coupon"] = f"/v1/coupons/{coupon.id}"
    promo = sdk.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "LAUNCH20"}
    )
    paths["promotion_code"] = f"/v1/promotion_codes/{promo.id}"
    paid = sdk.v1.invoices.list({"customer": customer, "status": "paid", "limit": 1}).data[0]
    note = sdk.v1.credit_notes.create({"invoice": str(paid.id), "amount": 500, "refund_amount": 500})
    paths["credit_note"] = f"/v1/credit_notes/{note.id}"
    credit = sdk.v1.customers.balance_transactions.create(customer, {"amount": -700, "currency": "usd"})
    paths["customer_balance_transaction"] = f"/v1/customers/{customer}/balance_transactions/{credit.id}"
    paths["event"] = f"/v1/events/{sdk.v1.events.list({'limit': 1}).data[0].id}"
    paths["balance_transaction"] = (
        f"/v1/balance_transactions/{sdk.v1.balance_transactions.list({'limit': 1}).data[0].id}"
    )
    clock = sdk.v1.test_helpers.test_clocks.create({"frozen_time": 1_780_000_000, "name": "bench"})
    paths["test_clock"] = f"/v1/test_helpers/test_clocks/{clock.id}"
    disputed = sdk.v1.payment_intents.create(
        {"amount": 4000, "currency": "usd", "payment_method": "pm_card_createDispute", "confirm": True,
         "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    dispute = sdk.v1.disputes.list({"payment_intent": disputed.id}).data[0]
    paths["dispute"] = f"/v1/disputes/{dispute.id}"
    # A Custom account the platform onboarded (capabilities requested, terms accepted): it can
    # receive transfers, here from a paid charge's funds.
    account = sdk.v1.accounts.create(
        {"type": "custom", "country": "US", "email": "seller@example.com",
         "capabilities": {"transfers": {"requested": True}, "card_payments": {"requested": True}},
         "tos_acceptance": {"date": 1767225600, "ip": "203.0.113.7"}}
    )  # fmt: skip
    paths["account"] = f"/v1/accounts/{account.id}"
    funds = sdk.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    transfer = sdk.v1.transfers.create(
        {
            "amount": 900,
            "currency": "usd",
            "destination": account.id,
            "source_transaction": str(funds.latest_charge),
        }
    )
    paths["transfer"] = f"/v1/transfers/{transfer.id}"
    paths["payout"] = f"/v1/payouts/{sdk.v1.payouts.create({'amount': 1200, 'currency': 'usd'}).id}"
    paths["invoices for"] = ten_invoices(sdk)
    return paths


def ten_invoices(sdk: stripe.StripeClient) -> str:
    """A customer with 10 invoices: 6 paid, 2 open, 2 drafts (as a billing history looks)."""
    customer = sdk.v1.customers.create({"email": "history@example.com", "name": "History"})
    for n in range(10):
        invoice = sdk.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                          "days_until_due": 30, "description": f"Month {n + 1}"})  # fmt: skip
        sdk.v1.invoice_items.create({"customer": customer.id, "invoice": str(invoice.id), "amount": 2999 + n,
                                     "currency": "usd"})  # fmt: skip
        if n < 8:
            sdk.v1.invoices.finalize_invoice(str(invoice.id))
        if n < 6:
            sdk.v1.invoices.pay(str(invoice.id), {"paid_out_of_band": True})
    return str(customer.id)


async def measure() -> tuple[list[Measured], list[Generic]]:
    key = "sk_test_" + uuid.uuid4().hex
    with SandboxServer(port=0) as sandbox, tempfile.TemporaryDirectory() as state_dir:
        customer, pm, one_time, monthly = await asyncio.to_thread(prepare, sandbox.url, key)
        settings = load_settings(
            {"STRIPE_SECRET_KEY": key},
            api_base=sandbox.url,
            state_dir=state_dir,
            toolsets="all",
            known_toolsets=TOOLSET_NAMES,
        )
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            Client(create_server(settings), mode="legacy") as client,
            httpx.AsyncClient(headers=headers, timeout=10) as http,
        ):
            bench = Bench(client, http, sandbox.url)
            await run_flows(bench, customer, pm, one_time, monthly)
            await generic_flows(bench, sandbox.url, key, customer)
    return bench.measured, bench.generic


def fixture_sizes() -> dict[str, int]:
    """Compact bytes of Stripe's fixture for each object type (the packaged fixtures3.json)."""
    resources = spec.fixtures()
    return {obj: len(json.dumps(resources[name], separators=(",", ":"))) for obj, name in FIXTURE.items()}


def generic_rows(generic: list[Generic]) -> list[Row]:
    print()
    print(
        "through call_stripe_api: view = its result text; raw = the same object; typed = the typed tool's read"
    )
    print(f"{'object':<29} {'view':>6} {'raw':>7} {'ratio':>6} {'typed':>6}")
    for g in generic:
        typed = f"{g.typed_bytes:,}" if g.typed_bytes is not None else "-"
        print(
            f"{g.object:<29} {g.view_bytes:>6,} {g.raw_bytes:>7,} {g.view_bytes / g.raw_bytes:>6.1%} {typed:>6}"
        )
    typed = [g for g in generic if g.typed_bytes is not None]
    worst = max(typed, key=lambda g: g.view_bytes / (g.typed_bytes or 1))
    listed = next(g for g in generic if g.object.startswith("list of"))
    others = [g for g in generic if g.typed_bytes is None and g is not listed]
    largest = max(others, key=lambda g: g.view_bytes / g.raw_bytes)
    row = at_most(
        "result size: call_stripe_api / typed read (worst)",
        worst.view_bytes / (worst.typed_bytes or 1),
        1.0,
        ".2f",
    )
    return [
        Row(row.figure, f"{row.value} ({worst.object}: {worst.view_bytes:,} / {worst.typed_bytes:,} B)",
            row.goal, row.ratio, row.passed),
        at_most("result size: 10 invoices via call_stripe_api", listed.view_bytes, LIST_GOAL, ",.0f", " B"),
        info("result size: 10 invoices, raw", f"{listed.raw_bytes:,} B"),
        at_most(f"result size: other views / raw (worst: {largest.object})",
                largest.view_bytes / largest.raw_bytes * 100, 100, ".1f", "%", strict=True),
    ]  # fmt: skip


def rows(measured: list[Measured]) -> list[Row]:
    fixtures = fixture_sizes()
    print("result = this server's tool result text; raw = the same object from the sandbox (compact JSON);")
    print("fixture = Stripe's own example object of that type (fixtures3.json), for scale")
    print(
        f"{'object':<17} {'step':<9} {'result':>7} {'raw':>7} {'ratio':>6} {'fixture':>8}  next-step fields"
    )
    for m in measured:
        kept = "all kept" if not m.missing else "MISSING " + ", ".join(m.missing)
        fixture = f"{fixtures[m.object]:,}" if m.object in fixtures else "-"
        print(
            f"{m.object:<17} {m.step:<9} {m.result_bytes:>7,} {m.raw_bytes:>7,} {m.ratio:>6.1%} {fixture:>8}  {kept}"
        )
    total_result = sum(m.result_bytes for m in measured)
    total_raw = sum(m.raw_bytes for m in measured)
    print(
        f"{'all':<27} {total_result:>7,} {total_raw:>7,} {total_result / total_raw:>6.1%}  (goal <= {GOAL:.0%})"
    )
    out = []
    for obj in RAW_PATH:
        mine = [m for m in measured if m.object == obj]
        worst = max(mine, key=lambda m: m.ratio)
        row = at_most(
            f"result size: {obj} (worst of create/retrieve)", worst.ratio * 100, GOAL * 100, ".1f", "%"
        )
        detail = (
            "/".join(f"{m.result_bytes:,}" for m in mine)
            + " of "
            + "/".join(f"{m.raw_bytes:,}" for m in mine)
        )
        out.append(Row(row.figure, f"{row.value} ({detail} B)", row.goal, row.ratio, row.passed))
    missing = [f"{m.object}.{m.step}:{path}" for m in measured for path in m.missing]
    checked = sum(len(NEEDS[(m.object, m.step)]) for m in measured)
    out.append(
        Row(
            "result size: next-step fields kept",
            f"{checked - len(missing)}/{checked}" + (f" (missing {', '.join(missing)})" if missing else ""),
            f"{checked}/{checked}",
            f"{(checked - len(missing)) / checked:.2f}",
            not missing,
        )
    )
    return out


def main(argv: Sequence[str] | None = None) -> list[Row]:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    quiet_logging()
    measured, generic = asyncio.run(measure())
    return rows(measured) + generic_rows(generic)


if __name__ == "__main__":
    main()
