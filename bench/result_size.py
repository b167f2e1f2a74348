"""Result size: bytes of this server's tool result vs the raw Stripe object for the same object.

Run: ``python bench/result_size.py``. Objects are made through the MCP tools (in-process client)
against an in-process offline sandbox; the raw object is then fetched from the same sandbox with
the same key over plain HTTP. Raw bytes are Stripe's JSON re-serialised compactly (the real API
pretty-prints, which would make the ratio look better than it is). Goal: at most 20% of the raw
size, keeping every field the next step needs (listed per object and step in NEEDS).
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
from _common import Row, at_most, quiet_logging
from mcp.client import Client

from stripe_power import spec
from stripe_power.config import load_settings
from stripe_power.sandbox import SandboxServer
from stripe_power.server import create_server
from stripe_power.tools import TOOLSET_NAMES

GOAL = 0.20
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


def lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)] if part.isdigit() and int(part) < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def text_of(result: Any) -> str:
    text: str = result.content[0].text
    if result.is_error:
        raise RuntimeError(f"tool error: {text}")
    return text


class Bench:
    def __init__(self, client: Client, http: httpx.AsyncClient, api_base: str) -> None:
        self.client, self.http, self.api_base = client, http, api_base
        self.measured: list[Measured] = []

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


async def measure() -> list[Measured]:
    key = "sk_test_" + uuid.uuid4().hex
    with SandboxServer(port=0) as sandbox, tempfile.TemporaryDirectory() as state_dir:
        customer, pm, one_time, monthly = await asyncio.to_thread(prepare, sandbox.url, key)
        settings = load_settings(
            {"STRIPE_SECRET_KEY": key},
            api_base=sandbox.url,
            state_dir=state_dir,
            known_toolsets=TOOLSET_NAMES,
        )
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            Client(create_server(settings), mode="legacy") as client,
            httpx.AsyncClient(headers=headers, timeout=10) as http,
        ):
            bench = Bench(client, http, sandbox.url)
            await run_flows(bench, customer, pm, one_time, monthly)
    return bench.measured


def fixture_sizes() -> dict[str, int]:
    """Compact bytes of Stripe's fixture for each object type (the packaged fixtures3.json)."""
    resources = spec.fixtures()
    return {obj: len(json.dumps(resources[name], separators=(",", ":"))) for obj, name in FIXTURE.items()}


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
    return rows(asyncio.run(measure()))


if __name__ == "__main__":
    main()
