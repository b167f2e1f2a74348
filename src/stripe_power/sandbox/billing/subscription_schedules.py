"""Subscription schedules: phases with their dates, starting a subscription, release, cancel.

Created ``from_subscription`` (one phase mirroring the subscription's current period) or with a
``customer``, ``phases`` and ``start_date`` (``now`` starts the subscription from the first
phase at once; a future date leaves the schedule ``not_started``). A phase lasts until its
``end_date``, for its ``duration``, or for one billing period of its first price. Updating ``phases`` keeps the current phase and replaces the ones after it.
Release detaches the subscription (``released_subscription``); cancel cancels it too. When a
test clock reaches a period end, ``at_period_end`` moves the schedule to its next phase or ends it.
"""

from __future__ import annotations

from typing import Any

from ... import spec
from ..core.errors import invalid, missing_param
from ..core.generic import sandbox_limit
from ..core.router import Ctx, Router
from ..core.schema_objects import defaults, new_object
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    changed,
    now,
    snapshot,
)
from . import subscriptions
from .billing_periods import add_interval
from .subscription_create import Terms, items_param, start_subscription


def _phase_items(ctx: Ctx, raw: Any, param: str) -> list[tuple[JSON, int]]:
    items = items_param(ctx, raw, param)
    if not items:
        raise missing_param(f"{param}[0][price]")
    for i, (price, _) in enumerate(items):
        if not price.get("recurring"):
            raise invalid("Schedule phases take recurring prices.", param=f"{param}[{i}][price]")
    return items


def _phase(items: list[tuple[JSON, int]], start: int, end: int) -> JSON:
    phase = defaults(spec.schemas()["subscription_schedule"]["properties"]["phases"]["items"])
    phase.update(
        add_invoice_items=[],
        currency=items[0][0]["currency"],
        default_tax_rates=[],
        discounts=[],
        end_date=end,
        items=[
            {"discounts": [], "metadata": {}, "price": price["id"], "quantity": qty, "tax_rates": []}
            for price, qty in items
        ],
        metadata={},
        proration_behavior="create_prorations",
        start_date=start,
    )
    return phase


def _phases(ctx: Ctx, raw: Any, start: int) -> tuple[list[JSON], list[list[tuple[JSON, int]]]]:
    phases: list[JSON] = []
    all_items: list[list[tuple[JSON, int]]] = []
    for i, entry_raw in enumerate(as_list(raw, "phases")):
        param = f"phases[{i}]"
        entry = as_dict(entry_raw, param)
        items = _phase_items(ctx, entry.get("items", []), f"{param}[items]")
        if "end_date" in entry:
            end = as_int(entry["end_date"], f"{param}[end_date]")
        elif "duration" in entry:
            duration = as_dict(entry["duration"], f"{param}[duration]")
            interval = as_enum(
                duration.get("interval"), f"{param}[duration][interval]", ("day", "week", "month", "year")
            )
            end = add_interval(
                start,
                interval,
                as_int(duration.get("interval_count", 1), f"{param}[duration][interval_count]", minimum=1),
            )
        else:
            recurring = items[0][0]["recurring"]
            end = add_interval(start, recurring["interval"], int(recurring["interval_count"]))
        if end <= start:
            raise invalid("A phase must end after it starts.", param=f"{param}[end_date]")
        phases.append(_phase(items, start, end))
        all_items.append(items)
        start = end
    if not phases:
        raise missing_param("phases")
    return phases, all_items


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    schedule = new_object("subscription_schedule")
    schedule.update(
        end_behavior=as_enum(
            p.get("end_behavior", "release"), "end_behavior", ("cancel", "none", "release", "renew")
        ),
        metadata=apply_metadata({}, p.get("metadata", {})),
        status="active",
    )
    if "from_subscription" in p:
        for clash in ("customer", "phases", "start_date"):
            if clash in p:
                raise invalid(f"You cannot set `{clash}` if `from_subscription` is set.", param=clash)
        sub = acct.get(
            "subscription",
            as_str(p["from_subscription"], "from_subscription"),
            param="from_subscription",
            status=400,
        )
        if sub.get("schedule"):
            raise invalid(
                f"The subscription {sub['id']} is already attached to a schedule ({sub['schedule']}).",
                param="from_subscription",
            )
        first = sub["items"]["data"][0]
        items = [(i["price"], int(i.get("quantity") or 1)) for i in sub["items"]["data"]]
        schedule["phases"] = [
            _phase(items, int(first["current_period_start"]), int(first["current_period_end"]))
        ]
        schedule["customer"] = sub["customer"]
        _attach(acct, schedule, sub)
    else:
        if "customer" not in p:
            raise missing_param("customer")
        customer = acct.get("customer", as_str(p["customer"], "customer"), param="customer", status=400)
        raw_start = p.get("start_date", "now")
        start = now() if raw_start == "now" else as_int(raw_start, "start_date")
        phases, all_items = _phases(ctx, p.get("phases", []), start)
        schedule["phases"] = phases
        schedule["customer"] = customer["id"]
        if start <= now():
            sub = start_subscription(ctx, Terms(customer["id"], all_items[0]))
            _attach(acct, schedule, sub)
        else:
            schedule["status"] = "not_started"
    _current(schedule)
    acct.add(schedule)
    acct.emit("subscription_schedule.created", schedule)
    return schedule


def _attach(acct: Account, schedule: JSON, sub: JSON) -> None:
    before = snapshot(sub)
    schedule["subscription"] = sub["id"]
    sub["schedule"] = schedule["id"]
    acct.emit("customer.subscription.updated", sub, changed(before, sub))


def _current(schedule: JSON) -> None:
    ts = now()
    phase = next((ph for ph in schedule["phases"] if ph["start_date"] <= ts < ph["end_date"]), None)
    live = schedule["status"] == "active" and phase is not None
    schedule["current_phase"] = (
        {"start_date": phase["start_date"], "end_date": phase["end_date"]} if live and phase else None
    )


def _live(ctx: Ctx) -> JSON:
    schedule = ctx.acct.get("subscription_schedule", ctx.path_params["schedule"], param="schedule")
    if schedule["status"] not in ("active", "not_started"):
        raise invalid(
            f"You cannot change a subscription schedule whose status is {schedule['status']}.",
            param="schedule",
        )
    return schedule


def update(ctx: Ctx) -> JSON:
    p = ctx.params
    schedule = _live(ctx)
    before = snapshot(schedule)
    if "end_behavior" in p:
        schedule["end_behavior"] = as_enum(
            p["end_behavior"], "end_behavior", ("cancel", "none", "release", "renew")
        )
    if "metadata" in p:
        schedule["metadata"] = apply_metadata(schedule["metadata"], p["metadata"])
    if "phases" in p:
        start = schedule["phases"][0]["start_date"]
        phases, _ = _phases(
            ctx,
            p["phases"],
            int(as_dict(as_list(p["phases"], "phases")[0], "phases[0]").get("start_date", start)),
        )
        if schedule["status"] == "active":
            current = schedule["phases"][0]
            if [(i["price"], i["quantity"]) for i in phases[0]["items"]] != [
                (i["price"], i["quantity"]) for i in current["items"]
            ]:
                raise sandbox_limit(
                    "POST",
                    "/v1/subscription_schedules/{schedule}",
                    "changing the items of the phase in progress; keep phases[0] as it is and change later phases",
                )
        schedule["phases"] = phases
    _current(schedule)
    ctx.acct.emit("subscription_schedule.updated", schedule, changed(before, schedule))
    return schedule


def _release(acct: Account, schedule: JSON, at: int) -> None:
    before = snapshot(schedule)
    sub = acct.find("subscription", schedule.get("subscription"))
    schedule.update(
        status="released",
        released_at=at,
        released_subscription=schedule.get("subscription"),
        subscription=None,
        current_phase=None,
    )
    if sub is not None:
        sub_before = snapshot(sub)
        sub["schedule"] = None
        acct.emit("customer.subscription.updated", sub, changed(sub_before, sub))
    acct.emit("subscription_schedule.released", schedule, changed(before, schedule))


def release(ctx: Ctx) -> JSON:
    schedule = _live(ctx)
    _release(ctx.acct, schedule, now())
    return schedule


def cancel(ctx: Ctx) -> JSON:
    schedule = _live(ctx)
    before = snapshot(schedule)
    sub = ctx.acct.find("subscription", schedule.get("subscription"))
    if sub is not None and sub["status"] not in ("canceled", "incomplete_expired"):
        params: dict[str, Any] = {k: ctx.params[k] for k in ("invoice_now", "prorate") if k in ctx.params}
        subscriptions.cancel_subscription(
            ctx.derive(params, {"subscription_exposed_id": sub["id"]}, method="DELETE")
        )
    schedule.update(status="canceled", canceled_at=now(), current_phase=None)
    ctx.acct.emit("subscription_schedule.canceled", schedule, changed(before, schedule))
    return schedule


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/subscription_schedules",
        create,
        consumes=("customer", "end_behavior", "from_subscription", "metadata", "phases", "start_date"),
    )
    router.add(
        "POST",
        "/v1/subscription_schedules/{schedule}",
        update,
        consumes=("end_behavior", "metadata", "phases"),
    )
    router.add("POST", "/v1/subscription_schedules/{schedule}/release", release, consumes=())
    router.add(
        "POST", "/v1/subscription_schedules/{schedule}/cancel", cancel, consumes=("invoice_now", "prorate")
    )


def start_due(ctx: Ctx, t: int, schedule: JSON) -> None:
    """A test clock reached a ``not_started`` schedule's start: its first phase starts a subscription."""
    before = snapshot(schedule)
    phase = schedule["phases"][0]
    items = [(ctx.acct.get("price", i["price"]), int(i["quantity"])) for i in phase["items"]]
    sub = start_subscription(ctx, Terms(schedule["customer"], items))
    schedule["status"] = "active"
    _attach(ctx.acct, schedule, sub)
    _current(schedule)
    ctx.acct.emit("subscription_schedule.updated", schedule, changed(before, schedule))


def at_period_end(ctx: Ctx, t: int, sub: JSON) -> bool:
    """A test clock reached the end of ``sub``'s period: move its schedule on. The next phase's
    items replace the current ones (no prorations: phases meet at period ends); after the last
    phase, ``end_behavior`` releases the subscription or cancels it. True when it was canceled
    (there is nothing to renew)."""
    schedule = ctx.acct.find("subscription_schedule", sub.get("schedule"))
    if schedule is None or schedule["status"] != "active":
        return False
    before = snapshot(schedule)
    following = next((ph for ph in schedule["phases"] if ph["start_date"] <= t < ph["end_date"]), None)
    if following is not None:
        current = sub["items"]["data"]
        wanted = following["items"]
        if [(i["price"]["id"], i["quantity"]) for i in current] == [
            (w["price"], w["quantity"]) for w in wanted
        ]:
            _current(schedule)  # still the same phase
            return False
        items: list[dict[str, Any]] = [
            {"id": item["id"], "price": want["price"], "quantity": str(want["quantity"])}
            for item, want in zip(current, wanted, strict=False)
        ]
        items += [{"id": item["id"], "deleted": "true"} for item in current[len(wanted) :]]
        items += [
            {"price": want["price"], "quantity": str(want["quantity"])} for want in wanted[len(current) :]
        ]
        where = {"subscription_exposed_id": sub["id"]}
        subscriptions.update_subscription(ctx.derive({"items": items, "proration_behavior": "none"}, where))
        _current(schedule)
        ctx.acct.emit("subscription_schedule.updated", schedule, changed(before, schedule))
        return False
    if schedule["end_behavior"] == "cancel":
        subscriptions.cancel_subscription(
            ctx.derive({}, {"subscription_exposed_id": sub["id"]}, method="DELETE")
        )
        schedule.update(status="completed", completed_at=t, current_phase=None)
        ctx.acct.emit("subscription_schedule.completed", schedule, changed(before, schedule))
        return True
    _release(ctx.acct, schedule, t)
    return False
