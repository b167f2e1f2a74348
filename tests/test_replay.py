"""The ten tasks of issue 28, replayed through an MCP client over stdio against `stripe-power serve
--sandbox` (the default tool list), using only what the server lists and says.

Each task is what an agent that knows Stripe would do: it calls only tools from tools/list, takes
every id from an earlier result, and where the server names the next call (a next step, a
refusal's advice, an error's fix) it makes exactly that call, read from the text (`tool {json}`),
filling in only what the text leaves to the caller (a `pm_...` placeholder: a test card). No call
may fail unless the task is about that failure (a decline, an old-docs mistake), none may repeat
an earlier call, and each task keeps to its budget of calls and result bytes. The figures are
printed and written to `replay.json` in the run's temporary directory. The issue's own session
took 63 calls, 11 of them wasted, and 47.8 KB of results for the same ten tasks.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import Tool

# The day issue 28 was filed: a 31-day month starts, the date that broke the billing-cycle prompt.
CLOCK_START = "2026-12-04T17:25:00Z"
TEST_CARD = "pm_card_visa"  # what an agent puts where a hint leaves `pm_...` (stripe://testing/cards)

# Per task: (at most this many calls, at most this many bytes of results).
BUDGETS: dict[str, tuple[int, int]] = {
    "1 one-time payment with Checkout": (3, 2_100),
    "2 subscription with Checkout": (4, 2_300),
    "3 refund": (2, 1_000),
    "4 save a card, charge it off-session": (3, 1_100),
    "5 trial subscription, two cycles on a test clock": (7, 4_000),
    "6 coupon and promotion code at Checkout": (4, 2_200),
    "7 declined card recovered": (3, 1_650),
    "8 old-docs mistakes: Charges, payment_method_types": (4, 2_900),
    "9 credit note on a paid invoice, via the API reference": (4, 3_800),
    "10 customer-balance credit": (4, 2_200),
}
ISSUE_SESSION = (63, 47_800)  # calls, result bytes of the session issue 28 reports


@dataclass
class Call:
    tool: str
    arguments: dict[str, Any]
    result_bytes: int
    error: bool
    expected_error: str | None = None


@dataclass
class Task:
    name: str
    calls: list[Call] = field(default_factory=list)

    @property
    def result_bytes(self) -> int:
        return sum(call.result_bytes for call in self.calls)


class Agent:
    """Calls listed tools only, never reads again what nothing has changed since, and follows what
    results say."""

    def __init__(self, client: Client, listed: dict[str, Tool]) -> None:
        self.client, self.listed = client, listed
        self.tasks: list[Task] = []
        self.reads: set[str] = set()  # the reads made since the last write

    def reads_only(self, tool: str, arguments: dict[str, Any]) -> bool:
        if tool == "call_stripe_api":
            return arguments.get("method") == "GET"
        hints = self.listed[tool].annotations
        return bool(hints and hints.read_only_hint)

    def task(self, name: str) -> None:
        self.tasks.append(Task(name))

    async def call(self, tool: str, arguments: dict[str, Any], *, fails: str | None = None) -> Any:
        """The call; its JSON. With `fails`, the task is about this failure: the error text is
        returned, and must contain `fails`."""
        assert tool in self.listed, f"{tool} is not listed: the agent cannot call it"
        key = tool + json.dumps(arguments, sort_keys=True)
        if self.reads_only(tool, arguments):
            assert key not in self.reads, f"wasted: {tool} {arguments} again, and nothing changed since"
            self.reads.add(key)
        else:
            self.reads.clear()
        result = await self.client.call_tool(tool, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        self.tasks[-1].calls.append(Call(tool, arguments, len(text.encode()), bool(result.is_error), fails))
        if fails is not None:
            assert result.is_error and fails in text, text
            return text
        assert not result.is_error, f"failed: {tool} {arguments}: {text}"
        return json.loads(text)

    def hinted(self, text: str, tool: str, **where: str) -> dict[str, Any]:
        """The arguments of the call to `tool` that `text` names (`tool {json}`), the first whose
        fields contain the given strings (e.g. path="/confirm"); `pm_...` becomes a test card."""
        found = []
        for match in re.finditer(rf"\b{re.escape(tool)} (?=\{{)", text):
            arguments, _ = json.JSONDecoder().raw_decode(text, match.end())
            if all(part in json.dumps(arguments.get(name)) for name, part in where.items()):
                found.append(arguments)
        assert found, f"no {tool} call {where or ''} named in: {text}"
        return json.loads(json.dumps(found[0]).replace('"pm_..."', f'"{TEST_CARD}"'))

    async def follow(self, text: str, tool: str, *, fails: str | None = None, **where: str) -> Any:
        return await self.call(tool, self.hinted(text, tool, **where), fails=fails)

    async def instead(self, refusal: str) -> Any:
        """Make the call a refusal says to send instead (`Send instead: tool {json}`), as written."""
        after = refusal.split("Send instead:", 1)
        assert len(after) == 2, f"the refusal names no call to send instead: {refusal}"
        named = re.match(r" ([a-z_]+) (?=\{)", after[1])
        assert named and named.group(1) in self.listed, after[1][:200]
        return await self.follow(after[1], named.group(1))


def said(value: Any) -> str:
    """What a result says in words: its next step, or the text of an error."""
    return value if isinstance(value, str) else str(value.get("next_step") or "")


def api(method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"method": method, "path": path, **({"params": params} if params else {})}


# --- the tasks, in the order of the issue's first paragraph ------------------------------------
Context = dict[str, Any]  # what earlier tasks made, by name


async def one_time_payment(a: Agent, made: Context) -> None:
    session = await a.call("create_checkout_session", {
        "mode": "payment", "success_url": "https://example.com/ok", "cancel_url": "https://example.com/cart",
        "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
                        "quantity": 1}]})  # fmt: skip
    paid = await a.follow(said(session), "pay_checkout_session")  # the sandbox's way to pay it
    assert (paid["status"], paid["payment_status"], paid["amount_total_display"]) == (
        "complete",
        "paid",
        "$20.00",
    )
    event = await a.follow(said(paid), "wait_for_event")  # fulfil on the webhook
    assert event["found"] and event["event"]["data"]["object"]["payment_status"] == "paid"
    made["payment_intent"] = paid["payment_intent"]


async def subscription_with_checkout(a: Agent, made: Context) -> None:
    customer = await a.call("create_customer", {"email": "subscriber@example.com", "name": "Sam"})
    session = await a.call("create_checkout_session", {
        "mode": "subscription", "customer": customer["id"], "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Pro"}, "unit_amount": 1500,
                                       "recurring": {"interval": "month"}}, "quantity": 1}]})  # fmt: skip
    paid = await a.follow(said(session), "pay_checkout_session")
    subscription = await a.call("retrieve_subscription", {"subscription": paid["subscription"]})
    assert (subscription["status"], subscription["customer"]) == ("active", customer["id"])
    assert (
        subscription["latest_invoice"]["status"] == "paid"
        and subscription["next_invoice_amount_display"] == "$15.00"
    )


async def refund(a: Agent, made: Context) -> None:
    done = await a.call("create_refund", {"payment_intent": made["payment_intent"], "amount": 500,
                                          "reason": "requested_by_customer"})  # fmt: skip
    assert (done["status"], done["amount_display"], done["remaining_refundable_display"]) == (
        "succeeded", "$5.00", "$15.00")  # fmt: skip
    payment = await a.call("retrieve_payment_intent", {"payment_intent": made["payment_intent"]})
    assert (payment["amount_refunded_display"], payment["remaining_refundable"]) == ("$5.00", 1500)


async def save_then_charge(a: Agent, made: Context) -> None:
    customer = await a.call("create_customer", {"email": "saver@example.com"})
    saved = await a.call("create_setup_intent", {"customer": customer["id"], "payment_method": TEST_CARD,
                                                 "confirm": True, "usage": "off_session"})  # fmt: skip
    assert saved["status"] == "succeeded"
    charged = await a.follow(said(saved), "create_payment_intent")  # the off-session charge it names
    assert charged["status"] == "succeeded" and charged["customer"] == customer["id"]


async def trial_over_two_cycles(a: Agent, made: Context) -> None:
    clock = await a.call("create_test_clock", {"name": "trial"})
    customer = await a.follow(said(clock), "create_customer")  # on the clock, with a default card
    price = await a.call("call_stripe_api", api("POST", "/v1/prices", {
        "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}, "product_data": {"name": "Team"}}))  # fmt: skip
    subscription = await a.call("call_stripe_api", api("POST", "/v1/subscriptions", {
        "customer": customer["id"], "items": [{"price": price["id"]}], "trial_period_days": 14}))  # fmt: skip
    assert subscription["status"] == "trialing" and subscription["next_invoice_amount_display"] == "$15.00"
    first = await a.follow(said(clock), "advance_test_clock")  # the trial ends: the first paid cycle
    assert (
        re.sub(r" at .*", "", first["happened"]["subscriptions"][0])
        == f"{subscription['id']}: trialing → active"
    )
    assert len(first["happened"]["invoices_paid"]) == 1 and "$15.00" in first["happened"]["invoices_paid"][0]
    second = await a.follow(said(first), "advance_test_clock")  # the next renewal
    assert (
        len(second["happened"]["invoices_paid"]) == 1 and "$15.00" in second["happened"]["invoices_paid"][0]
    )
    invoices = await a.follow(said(second), "call_stripe_api", path="/v1/invoices")
    assert [(i["status"], i["total_display"]) for i in invoices["data"]] == [
        ("paid", "$15.00"), ("paid", "$15.00"), ("paid", "$0.00")]  # fmt: skip
    made |= {"clock": clock["id"], "customer": customer["id"], "paid_invoice": invoices["data"][0]["id"]}


async def promotion_code_at_checkout(a: Agent, made: Context) -> None:
    coupon = await a.call("call_stripe_api", api("POST", "/v1/coupons", {"percent_off": 20, "duration": "once",
                                                                         "name": "Spring"}))  # fmt: skip
    arguments = a.hinted(said(coupon), "call_stripe_api", path="/v1/promotion_codes")
    arguments["params"]["code"] = "SPRING20"  # the hint leaves the code to the caller
    code = await a.call("call_stripe_api", arguments)
    assert code["coupon"] == coupon["id"] and code["active"] is True
    session = await a.call("create_checkout_session", {
        "mode": "payment", "allow_promotion_codes": True, "success_url": "https://example.com/ok",
        "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Boots"}, "unit_amount": 5000},
                        "quantity": 1}]})  # fmt: skip
    pay = a.hinted(said(session), "pay_checkout_session")
    paid = await a.call(
        "pay_checkout_session", {**pay, "promotion_code": "SPRING20"}
    )  # the customer types it
    assert paid["discounts"] == [code["id"]] and paid["payment_status"] == "paid"
    assert (paid["amount_subtotal_display"], paid["amount_discount_display"], paid["amount_total_display"]) == (
        "$50.00", "$10.00", "$40.00")  # fmt: skip


async def declined_card_recovered(a: Agent, made: Context) -> None:
    declined = await a.call("create_payment_intent", {"amount": 3000, "currency": "usd",
                                                      "payment_method": "pm_card_chargeDeclined", "confirm": True},
                            fails="card_declined")  # fmt: skip
    if "call_stripe_api {" in declined or "confirm_payment_intent {" in declined:
        text = declined  # the error itself says how to retry
    else:
        intent = re.search(r"\bpi_[A-Za-z0-9]+", declined)
        assert intent, declined
        text = said(await a.call("retrieve_payment_intent", {"payment_intent": intent.group(0)}))
    tool = "confirm_payment_intent" if "confirm_payment_intent {" in text else "call_stripe_api"
    paid = await a.follow(text, tool, **({"path": "/confirm"} if tool == "call_stripe_api" else {}))
    assert paid["status"] == "succeeded" and paid["amount_display"] == "$30.00"


async def old_docs_mistakes(a: Agent, made: Context) -> None:
    charges = await a.call("call_stripe_api", api("POST", "/v1/charges", {
        "amount": 1200, "currency": "usd", "source": "tok_visa", "description": "Old docs"}), fails="charges-api")  # fmt: skip
    paid = await a.instead(charges)  # the refusal's exact replacement
    assert paid["status"] == "succeeded"
    typed = await a.call("call_stripe_api", api("POST", "/v1/payment_intents", {
        "amount": 1300, "currency": "usd", "payment_method_types": ["card"], "payment_method": TEST_CARD,
        "confirm": True}), fails="payment-method-types")  # fmt: skip
    again = await a.instead(typed)  # complete for this path (a confirm without return_url)
    assert again["status"] == "succeeded" and again["amount_display"] == "$13.00"


async def credit_note_via_reference(a: Agent, made: Context) -> None:
    found = await a.call(
        "search_stripe_api", {"query": "credit note to refund part of a paid invoice", "limit": 3}
    )
    hit = found["results"][0]
    assert (hit["method"], hit["path"]) == ("POST", "/v1/credit_notes")
    described = await a.call("describe_stripe_api", {"method": hit["method"], "path": hit["path"]})
    assert {"invoice", "amount", "refund_amount", "reason"} <= set(
        json.dumps(described).replace('"', " ").split()
    )
    note = await a.call("call_stripe_api", api("POST", "/v1/credit_notes", {
        "invoice": made["paid_invoice"], "amount": 500, "refund_amount": 500, "reason": "order_change"}))  # fmt: skip
    assert (note["type"], note["amount_display"], note["refunded_display"]) == (
        "post_payment",
        "$5.00",
        "$5.00",
    )
    invoice = await a.call("retrieve_invoice", {"invoice": made["paid_invoice"]})
    assert invoice["credit_notes"] == [{"id": note["id"], "number": note["number"], "status": "issued",
                                        "type": "post_payment", "amount_display": "$5.00", "reason": "order_change"}]  # fmt: skip
    assert (invoice["status"], invoice["credit_notes_display"]) == ("paid", "$5.00")


async def customer_balance_credit(a: Agent, made: Context) -> None:
    credit = await a.call("call_stripe_api", api("POST", f"/v1/customers/{made['customer']}/balance_transactions",
                                                 {"amount": -500, "currency": "usd", "description": "Goodwill"}))  # fmt: skip
    assert (credit["amount_display"], credit["ending_balance_display"]) == ("$5.00 credit", "$5.00 credit")
    who = await a.call("retrieve_customer", {"customer": made["customer"]})
    assert who["balance_display"] == "$5.00 credit"
    renewed = await a.call("advance_test_clock", {"test_clock": made["clock"]})  # to the next renewal
    (paid,) = renewed["happened"]["invoices_paid"]
    invoice = await a.call("retrieve_invoice", {"invoice": paid.split()[0]})
    assert (invoice["total_display"], invoice["amount_paid_display"]) == ("$15.00", "$10.00")
    assert (invoice["starting_balance_display"], invoice["ending_balance_display"]) == ("-$5.00", "$0.00")


TASKS: list[tuple[str, Callable[[Agent, Context], Awaitable[None]]]] = [
    ("1 one-time payment with Checkout", one_time_payment),
    ("2 subscription with Checkout", subscription_with_checkout),
    ("3 refund", refund),
    ("4 save a card, charge it off-session", save_then_charge),
    ("5 trial subscription, two cycles on a test clock", trial_over_two_cycles),
    ("6 coupon and promotion code at Checkout", promotion_code_at_checkout),
    ("7 declined card recovered", declined_card_recovered),
    ("8 old-docs mistakes: Charges, payment_method_types", old_docs_mistakes),
    ("9 credit note on a paid invoice, via the API reference", credit_note_via_reference),
    ("10 customer-balance credit", customer_balance_credit),
]


def server(state_dir: Path) -> StdioServerParameters:
    """`stripe-power serve --sandbox` as an IDE starts it (stdio), on a fixed calendar."""
    bin_dir = str(Path(sys.executable).parent)
    return StdioServerParameters(
        command="stripe-power",
        args=["serve", "--sandbox"],
        env={
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "STRIPE_POWER_STATE_DIR": str(state_dir),
            "STRIPE_POWER_CLOCK_START": CLOCK_START,
        },
    )


def report(tasks: list[Task], base: Path) -> str:
    lines = [f"{'task':<56} {'calls':>5} {'refused':>7} {'bytes':>7}"]
    for t in tasks:
        refused = sum(1 for c in t.calls if c.expected_error)
        lines.append(f"{t.name:<56} {len(t.calls):>5} {refused:>7} {t.result_bytes:>7,}")
    calls, size = sum(len(t.calls) for t in tasks), sum(t.result_bytes for t in tasks)
    lines.append(f"{'all':<56} {calls:>5} {'':>7} {size:>7,}  (issue 28's session: 63 calls, 47.8 KB)")
    (base / "replay.json").write_text(
        json.dumps([asdict(t) | {"result_bytes": t.result_bytes} for t in tasks], indent=1)
    )
    return "\n".join(lines)


async def replay(tmp_path: Path, numbers: range | list[int]) -> list[Task]:
    """Tasks by number (1-10), in order, through one server."""
    async with Client(server(tmp_path / "state"), mode="legacy") as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        agent, made = Agent(client, listed), {}
        for number in numbers:
            name, run = TASKS[number - 1]
            agent.task(name)
            await run(agent, made)
    return agent.tasks


def check(tasks: list[Task]) -> None:
    for t in tasks:
        most_calls, most_bytes = BUDGETS[t.name]
        assert len(t.calls) <= most_calls and t.result_bytes <= most_bytes, (
            t.name,
            len(t.calls),
            t.result_bytes,
        )
        assert all(c.error == bool(c.expected_error) for c in t.calls), t.name  # no failed call


async def test_the_ten_tasks_replay_with_no_failed_or_wasted_call(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = await replay(tmp_path, range(1, 11))
    table = report(tasks, tmp_path_factory.getbasetemp())
    with capsys.disabled():
        print("\n" + table)
    check(tasks)
    calls, size = sum(len(t.calls) for t in tasks), sum(t.result_bytes for t in tasks)
    # Against the issue's session: at most two thirds of its calls, less than half its bytes.
    assert calls <= ISSUE_SESSION[0] * 2 / 3 and size < ISSUE_SESSION[1] / 2, (calls, size)
