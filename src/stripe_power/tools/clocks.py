"""Toolset `test_clocks`: simulate billing time with Stripe's test clocks (test mode only).

The same endpoints work against the sandbox and Stripe's test mode. Advancing waits until the
clock is `ready` and reports what happened in the simulated time: invoices created, paid and
failed, subscriptions whose status changed. Events made by a clock carry its time in `created`,
so they are read here by that time range, not by `wait_for_event` (which looks at recent time).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Annotated, Any

import anyio
from pydantic import Field

from .. import clock as wall_clock
from ..errors import StripeAPIError
from ..guardrails import rule
from ..hints import api_call, call
from ..money import format_amount
from ..views import Page, Summary
from ..views.subscriptions import TestClockSummary, iso
from ._advance import check_bills, plan_advance, preview_advance, what_it_bills
from ._params import Ctx, IdempotencyKey, Limit, form, gateway, ident, limits, settings
from ._registry import ToolKind, Toolset

toolset = Toolset("test_clocks", "Test clocks: simulate months of billing in test mode")

TestClockId = Annotated[str, ident("clock"), Field(description="clock_...")]
Timestamp = Annotated[int, Field(ge=0, le=4_102_444_800, description="Unix seconds")]
_WAIT_SECONDS = 120


def _test_mode_only(ctx: Ctx) -> None:
    if settings(ctx).live:
        raise rule("live-key").refusal("test clocks exist only in test mode; this server holds a live key")


@toolset.tool("Create a test clock", kind="write")
async def create_test_clock(
    ctx: Ctx,
    frozen_time: Timestamp | None = None,
    name: Annotated[str | None, Field(max_length=300)] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> TestClockSummary:
    """A test clock at frozen_time (default: now)."""
    _test_mode_only(ctx)
    clock = await gateway(ctx).request(
        "POST",
        "/v1/test_helpers/test_clocks",
        form(frozen_time=frozen_time if frozen_time is not None else int(wall_clock.now()), name=name),
        idempotency_key=idempotency_key,
    )
    return TestClockSummary.of(
        clock,
        f"{call('create_customer', email='clock@example.com', test_clock=clock['id'], payment_method='pm_card_visa', invoice_settings={'default_payment_method': 'pm_card_visa'})}, "
        f"subscribe it, then {call('advance_test_clock', test_clock=clock['id'])} to run each renewal.",
    )


class Happened(Summary):
    invoices_created: list[str] = Field(default_factory=list)
    invoices_paid: list[str] = Field(default_factory=list)
    invoices_failed: list[str] = Field(default_factory=list)
    subscriptions: list[str] = Field(default_factory=list)  # "sub_...: trialing → active"
    events: int = 0


class AdvanceResult(TestClockSummary):
    advanced_from: str
    happened: Happened


def _owner(obj: Mapping[str, Any]) -> str | None:
    return obj["id"] if obj.get("object") == "customer" else obj.get("customer")


def summarise(events: list[Mapping[str, Any]], customers: AbstractSet[str]) -> Happened:
    """What a clock's advance did, from the events it made, oldest first."""
    happened = Happened()
    for event in sorted(events, key=lambda e: (int(e["created"]), e["id"])):
        obj = event["data"]["object"]
        if _owner(obj) not in customers:
            continue
        happened.events += 1
        typ, oid = event["type"], obj.get("id", "")
        total = format_amount(int(obj.get("amount_due") or 0), str(obj.get("currency") or "usd"))
        if typ == "invoice.created":
            happened.invoices_created.append(f"{oid} ({total}, {obj.get('billing_reason')})")
        elif typ == "invoice.paid":
            happened.invoices_paid.append(f"{oid} ({total})")
        elif typ == "invoice.payment_failed":
            happened.invoices_failed.append(f"{oid} (attempt {obj.get('attempt_count')})")
        elif typ in ("customer.subscription.updated", "customer.subscription.deleted"):
            before = (event["data"].get("previous_attributes") or {}).get("status")
            if before and before != obj.get("status"):
                happened.subscriptions.append(
                    f"{oid}: {before} → {obj.get('status')} at {iso(event['created'])}"
                )
    return happened


async def _all_events(ctx: Ctx, start: int, end: int) -> list[Mapping[str, Any]]:
    events: list[Mapping[str, Any]] = []
    # After `start`: what happened at the old frozen time was reported by the calls that made it.
    params: dict[str, Any] = {"limit": 100, "created": {"gt": start, "lte": end}}
    for _ in range(20):  # at most 2,000 events per advance
        page = await gateway(ctx).request("GET", "/v1/events", params)
        events.extend(page.get("data", []))
        if not page.get("has_more") or not page.get("data"):
            break
        params["starting_after"] = page["data"][-1]["id"]
    return events


def _may_bill(_arguments: dict[str, Any]) -> ToolKind:
    """An advance may charge the clock's customers: confirmation previews it (None: it bills nothing)."""
    return "money"


@toolset.tool("Advance a test clock", kind="write", kind_of=_may_bill, preview=preview_advance)
async def advance_test_clock(
    ctx: Ctx,
    test_clock: TestClockId,
    frozen_time: Timestamp | None = None,
    days: Annotated[int | None, Field(ge=1, le=1100, description="Instead of frozen_time")] = None,
) -> AdvanceResult:
    """Move a clock forward (by default just past the next renewal), wait until ready, summarise."""
    plan = await plan_advance(
        gateway(ctx), {"test_clock": test_clock, "frozen_time": frozen_time, "days": days}
    )
    if limits(ctx).active:
        check_bills(limits(ctx), plan, *await what_it_bills(gateway(ctx), plan))
    path, start, target = f"/v1/test_helpers/test_clocks/{test_clock}", plan.start, plan.target
    clock = await gateway(ctx).request("POST", f"{path}/advance", {"frozen_time": target})
    waited, delay = 0.0, 0.2
    while clock["status"] == "advancing":
        if waited >= _WAIT_SECONDS:
            raise StripeAPIError(
                f"{test_clock} is still advancing after {_WAIT_SECONDS} s; nothing is lost. "
                f"Next: retrieve it later with {api_call('GET', path)} until status is ready."
            )
        await ctx.report_progress(waited, _WAIT_SECONDS, f"{test_clock} advancing to {iso(target)}")
        await anyio.sleep(delay)
        waited, delay = waited + delay, min(delay * 2, 2.0)
        clock = await gateway(ctx).request("GET", path)
    if clock["status"] != "ready":
        raise StripeAPIError(f"{test_clock} ended in status {clock['status']}; Stripe could not advance it.")
    happened = summarise(await _all_events(ctx, start, target), plan.owners)
    result = TestClockSummary.of(
        clock,
        f"Inspect the invoices with {call('list_invoices', customer=min(plan.owners) if len(plan.owners) == 1 else None)}; "
        f"{call('advance_test_clock', test_clock=test_clock)} again (no days) runs the next cycle."
        if happened.events
        else "Nothing fell due: subscribe a customer on this clock, or advance past a period end.",
    )
    return AdvanceResult(**result.model_dump(), advanced_from=iso(start), happened=happened)


@toolset.tool("List test clocks", kind="read")
async def list_test_clocks(ctx: Ctx, limit: Limit = 10) -> Page[TestClockSummary]:
    """Test clocks, newest first."""
    body = await gateway(ctx).request("GET", "/v1/test_helpers/test_clocks", {"limit": limit})
    return Page.of(body, TestClockSummary.of)


@toolset.tool("Delete a test clock", kind="destructive", idempotent=True)
async def delete_test_clock(ctx: Ctx, test_clock: TestClockId) -> TestClockSummary:
    """Delete a clock and every customer (and object) on it."""
    _test_mode_only(ctx)
    clock = await gateway(ctx).request("GET", f"/v1/test_helpers/test_clocks/{test_clock}")
    await gateway(ctx).request("DELETE", f"/v1/test_helpers/test_clocks/{test_clock}")
    return TestClockSummary.of({**clock, "status": "deleted"})
