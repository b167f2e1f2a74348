"""Test clocks: customers (and everything they own) living on a frozen time you advance.

Stripe: https://docs.stripe.com/billing/testing/test-clocks. A clock is created at a
`frozen_time`; customers created with `test_clock` (or attached with `customer` when the clock is
created) see that time in every object and event. Advancing moves the time forward and runs,
in time order, everything that fell due (billing_cycle.py). The POST answers with
`status: advancing`; the work is done before the next request, which sees `ready`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..billing import billing_cycle
from .errors import StripeError, invalid, missing_param
from .ids import new_id
from .router import Ctx, Router
from .store import JSON, Account, as_int, as_str, at_time, now, paginate, snapshot

TYPE = "test_helpers.test_clock"
_DELETES_AFTER = 30 * 86400  # Stripe deletes a clock 30 days after it is created


def _clock(ctx: Ctx) -> JSON:
    return ctx.acct.get(TYPE, ctx.path_params["test_clock"], param="test_clock")


def customers_of(acct: Account, clock_id: str) -> list[JSON]:
    return [c for c in acct.of_type("customer") if c.get("test_clock") == clock_id]


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    if "frozen_time" not in p:  # required by the spec; answer Stripe's 400, not a crash
        raise missing_param("frozen_time")
    frozen = as_int(p["frozen_time"], "frozen_time")
    ts = now()
    clock: JSON = {
        "id": new_id("clock", 24),
        "object": TYPE,
        "created": ts,
        "deletes_after": ts + _DELETES_AFTER,
        "frozen_time": frozen,
        "livemode": False,
        "name": as_str(p["name"], "name") if "name" in p else None,
        "status": "ready",
        "status_details": {},
    }
    if "customer" in p:
        customer = ctx.acct.get("customer", as_str(p["customer"], "customer"), param="customer", status=400)
        if customer.get("test_clock"):
            raise invalid("This customer is already attached to a test clock.", param="customer")
        customer["test_clock"] = clock["id"]
    ctx.acct.add(clock)
    ctx.acct.emit("test_helpers.test_clock.created", clock)
    return clock


def retrieve(ctx: Ctx) -> JSON:
    return _clock(ctx)


def list_(ctx: Ctx) -> JSON:
    return paginate(ctx.acct, TYPE, ctx.params, "/v1/test_helpers/test_clocks")


def delete(ctx: Ctx) -> JSON:
    """Deleting a clock deletes the customers on it, and with them what they own (Stripe's docs)."""
    clock = _clock(ctx)
    gone = {c["id"] for c in customers_of(ctx.acct, clock["id"])}
    owned = [oid for oid, obj in ctx.acct.objects.items() if obj.get("customer") in gone]
    for oid in [*owned, *gone, clock["id"]]:
        ctx.acct.remove(oid)
    ctx.acct.emit("test_helpers.test_clock.deleted", clock)
    return {"id": clock["id"], "object": TYPE, "deleted": True}


def advance(ctx: Ctx) -> JSON:
    clock = _clock(ctx)
    if "frozen_time" not in ctx.params:
        raise missing_param("frozen_time")
    target = as_int(ctx.params["frozen_time"], "frozen_time")
    if clock["status"] != "ready":
        raise invalid(
            "The test clock is already advancing; wait until its status is ready.", param="test_clock"
        )
    if target <= clock["frozen_time"]:
        raise invalid(
            f"The frozen time must be after the current frozen time of the test clock ({clock['frozen_time']}).",
            param="frozen_time",
        )
    limit = billing_cycle.advance_limit(ctx.acct, customers_of(ctx.acct, clock["id"]), clock["frozen_time"])
    if limit is not None and target > limit:
        raise invalid(
            "Cannot advance the test clock more than two intervals of the shortest subscription interval "
            f"at a time: advance to {limit} or earlier, then again.",
            param="frozen_time",
        )
    before = snapshot(clock)
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": target}}
    with at_time(clock["frozen_time"]):
        ctx.acct.emit("test_helpers.test_clock.advancing", clock, {"status": before["status"]})
    answer = snapshot(clock)
    # What the clock sets off happens after this request, not because of it: those events carry
    # no request (Stripe's `request.id` is null for automatic events).
    ctx.acct.current_request = ("", None)
    try:
        billing_cycle.run_until(ctx, clock, target, customers_of(ctx.acct, clock["id"]))
    except StripeError:
        clock["status"] = "internal_failure"
        raise
    clock["frozen_time"] = target
    clock["status"] = "ready"
    clock["status_details"] = {}
    with at_time(target):
        ctx.acct.emit("test_helpers.test_clock.ready", clock, {"status": "advancing"})
    return answer


# Parameters naming an object a customer owns: a request naming one (a refund by `payment_intent`
# or `charge`) happens on that customer's clock, like a request to the object's own path.
_OWNED_REFS = ("customer", "payment_intent", "charge", "setup_intent", "subscription", "invoice")


def time_for(acct: Account, params: Mapping[str, Any], path_params: Mapping[str, str]) -> int | None:
    """The frozen time of the clock a request is about, if any: a customer on a clock (named by
    `customer` or `test_clock`, or in the path) and every object that customer owns."""
    if isinstance(params.get("test_clock"), str):
        clock = acct.find(TYPE, params["test_clock"])
        if clock is not None:
            return int(clock["frozen_time"])
    refs = [*(params.get(name) for name in _OWNED_REFS), *path_params.values()]
    for ref in refs:
        obj = acct.objects.get(ref) if isinstance(ref, str) else None
        if obj is None:
            continue
        customer = obj if obj.get("object") == "customer" else acct.find("customer", obj.get("customer"))
        clock = acct.find(TYPE, (customer or {}).get("test_clock"))
        if clock is not None:
            return int(clock["frozen_time"])
    return None


def register(router: Router) -> None:
    router.add("POST", "/v1/test_helpers/test_clocks", create, consumes=("frozen_time", "name"))
    router.add("GET", "/v1/test_helpers/test_clocks", list_)
    router.add("GET", "/v1/test_helpers/test_clocks/{test_clock}", retrieve)
    router.add("DELETE", "/v1/test_helpers/test_clocks/{test_clock}", delete)
    router.add(
        "POST", "/v1/test_helpers/test_clocks/{test_clock}/advance", advance, consumes=("frozen_time",)
    )
