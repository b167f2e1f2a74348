"""Checkout Sessions through the API (payment, subscription and setup modes), their expiry and
`after_expiration` recovery. Line items are `checkout_lines.py`; what the page collects is
`checkout_collection.py`; money is `checkout_totals.py`; completion is `checkout_complete.py`.

Recovery (docs.stripe.com/payments/checkout/abandoned-carts): when a session with
`after_expiration.recovery.enabled` expires, `after_expiration.recovery.url` is set, valid for 30
days; visiting it opens a new session with the same line items and options, its
`recovered_from` naming the expired one (and promotion codes allowed where
`recovery.allow_promotion_codes`).
"""

from __future__ import annotations

from typing import Any

from ... import spec
from ..billing import custom_amounts
from ..connect import connect_charges
from ..core import accepted
from ..core.errors import invalid, missing_param, no_such
from ..core.ids import client_secret, new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import checkout_collection, checkout_totals
from .checkout_lines import build_line_items, line_item_object, lines_list

UI_MODES = {
    "hosted": "hosted_page",
    "hosted_page": "hosted_page",
    "embedded": "embedded_page",
    "embedded_page": "embedded_page",
}
DAY = 86400
RECOVERY_DAYS = 30  # a recovery URL works for 30 days after the session expired


def _ui_mode(p: dict[str, Any]) -> str:
    ui_raw = as_str(p.get("ui_mode", "hosted_page"), "ui_mode")
    if ui_raw not in UI_MODES:
        raise invalid(
            f"Invalid ui_mode: {ui_raw}. The sandbox supports hosted_page and embedded_page.", param="ui_mode"
        )
    ui_mode = UI_MODES[ui_raw]
    if ui_mode == "embedded_page":
        for name in ("success_url", "cancel_url"):
            if name in p:
                raise invalid(f"You cannot pass `{name}` when `ui_mode` is `embedded_page`.", param=name)
        if "return_url" not in p and p.get("redirect_on_completion") != "never":
            raise invalid(
                "`return_url` is required when `ui_mode` is `embedded_page`.",
                param="return_url",
                code="parameter_missing",
            )
    elif "return_url" in p:
        raise invalid(
            "You can only pass `return_url` when `ui_mode` is `embedded_page` or `elements`.",
            param="return_url",
        )
    return ui_mode


def _items(ctx: Ctx, p: dict[str, Any], mode: str) -> list[tuple[JSON, int, JSON]]:
    items = build_line_items(ctx, p["line_items"]) if "line_items" in p else []
    if mode in ("payment", "subscription") and not items:
        raise invalid(
            f"`line_items` is required in `{mode}` mode.", param="line_items", code="parameter_missing"
        )
    if mode == "setup" and items:
        raise invalid("You cannot pass `line_items` in `setup` mode.", param="line_items")
    custom_amounts.check_items(ctx, items, p, mode)
    # spec3.json `currency`: "Required in `setup` mode when `payment_method_types` is not set."
    if mode == "setup" and "currency" not in p and "payment_method_types" not in p:
        raise missing_param("currency")
    if len({price["currency"] for price, _, _ in items}) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    recurring = [price for price, _, _ in items if price["type"] == "recurring"]
    if mode == "payment" and recurring:
        raise invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use "
            "only one-time prices.",
            param="line_items",
        )
    if mode == "subscription" and not recurring:
        raise invalid(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    return items


def _expires_at(p: dict[str, Any], created: int) -> int:
    if "expires_at" not in p:
        return created + DAY
    expires_at = as_int(p["expires_at"], "expires_at")
    if expires_at > created + DAY:
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at < created + 30 * 60 - 5:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def _customer(ctx: Ctx, p: dict[str, Any]) -> str | None:
    if "customer" in p and "customer_email" in p:
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
        )
    if "customer" not in p:
        return None
    customer = as_str(p["customer"], "customer")
    if ctx.acct.find("customer", customer) is None:
        raise no_such("customer", customer, param="customer", status=400)
    return customer


def _optional_str(p: dict[str, Any], name: str) -> str | None:
    return as_str(p[name], name) if name in p else None


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    mode = as_enum(p.get("mode", "payment"), "mode", ("payment", "setup", "subscription"))
    connect = connect_charges.intent_data(ctx, p.get("payment_intent_data"))
    ui_mode = _ui_mode(p)
    customer = _customer(ctx, p)
    items = _items(ctx, p, mode)
    created = now()
    currencies = {price["currency"] for price, _, _ in items}
    total = sum(int(price["unit_amount"] or 0) * qty for price, qty, _ in items)
    sid = new_id("cs_test", 58)
    cs: JSON = skeleton("checkout.session")
    cs.update(
        id=sid,
        object="checkout.session",
        after_expiration=_after_expiration(p),
        allow_promotion_codes=as_bool(p["allow_promotion_codes"], "allow_promotion_codes")
        if "allow_promotion_codes" in p
        else None,
        amount_subtotal=total if mode != "setup" else None,
        amount_total=total if mode != "setup" else None,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        cancel_url=_optional_str(p, "cancel_url"),
        client_reference_id=_optional_str(p, "client_reference_id"),
        client_secret=client_secret(sid) if ui_mode == "embedded_page" else None,
        created=created,
        currency=next(iter(currencies))
        if currencies
        else (as_str(p["currency"], "currency").lower() if "currency" in p else None),
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=customer,
        customer_creation=(
            as_enum(p.get("customer_creation", "if_required"), "customer_creation", ("always", "if_required"))
            if (mode == "payment" or (mode == "setup" and "customer_creation" in p)) and customer is None
            else None
        ),
        customer_email=_optional_str(p, "customer_email"),
        discounts=[],
        expires_at=_expires_at(p, created),
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        mode=mode,
        payment_method_collection="always" if mode != "payment" else None,
        payment_method_types=[
            as_str(t, "payment_method_types") for t in p.get("payment_method_types") or ["card"]
        ],
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        phone_number_collection={"enabled": False},
        shipping_options=[],
        status="open",
        success_url=_optional_str(p, "success_url"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        if mode != "setup"
        else None,
        ui_mode=ui_mode,
        url=f"{ctx.base_url}/c/pay/{sid}" if ui_mode == "hosted_page" else None,
    )
    if ui_mode == "embedded_page":
        cs["redirect_on_completion"] = as_enum(
            p.get("redirect_on_completion", "always"),
            "redirect_on_completion",
            ("always", "if_required", "never"),
        )
        if cs["redirect_on_completion"] != "never" or "return_url" in p:
            cs["return_url"] = as_str(p["return_url"], "return_url")
    if "excluded_payment_method_types" in p:
        cs["excluded_payment_method_types"] = list(p["excluded_payment_method_types"] or [])
    checkout_collection.configure(cs, p)
    acct.add(cs)
    ctx.own(cs)
    _remember(ctx, cs, p, items)
    acct.priv(cs)["connect"] = connect  # payment_intent_data's Connect fields, for the PaymentIntent it makes
    checkout_totals.configure(ctx, cs, p)
    custom_amounts.configure(acct, cs)
    acct.hidden[sid] = {"line_items": lines_list(acct, cs, f"/v1/checkout/sessions/{sid}/line_items")}
    return cs


def _remember(ctx: Ctx, cs: JSON, p: dict[str, Any], items: list[tuple[JSON, int, JSON]]) -> None:
    """What completion and recovery need later: the line items, the data for the objects the
    session makes, what it may save on its customer, the request (for a recovered session)."""
    priv = ctx.acct.priv(cs)
    priv["line_item_ids"] = [line_item_object(ctx, price, qty)["id"] for price, qty, _ in items]
    priv["adjustable"] = [adj for _, _, adj in items]
    priv["payment_intent_data"] = as_dict(p.get("payment_intent_data", {}), "payment_intent_data")
    priv["subscription_data"] = as_dict(p.get("subscription_data", {}), "subscription_data")
    priv["setup_intent_data"] = as_dict(p.get("setup_intent_data", {}), "setup_intent_data")
    priv["customer_update"] = checkout_collection.customer_update(p)
    priv["params"] = snapshot(dict(p))
    priv["base_url"] = ctx.base_url
    pid = priv["payment_intent_data"]
    if "capture_method" in pid:
        as_enum(
            pid["capture_method"],
            "payment_intent_data[capture_method]",
            ("automatic", "automatic_async", "manual"),
        )
    if "setup_future_usage" in pid:
        as_enum(
            pid["setup_future_usage"],
            "payment_intent_data[setup_future_usage]",
            ("off_session", "on_session"),
        )
    sd = priv["subscription_data"]
    if "trial_period_days" in sd:
        as_int(sd["trial_period_days"], "subscription_data[trial_period_days]", minimum=1)


def _after_expiration(p: dict[str, Any]) -> JSON | None:
    if "after_expiration" not in p:
        return None
    raw = as_dict(
        as_dict(p["after_expiration"], "after_expiration").get("recovery", {}), "after_expiration[recovery]"
    )
    if "enabled" not in raw:
        raise missing_param("after_expiration[recovery][enabled]")
    return {
        "recovery": {
            "allow_promotion_codes": as_bool(
                raw.get("allow_promotion_codes", False), "after_expiration[recovery][allow_promotion_codes]"
            ),
            "enabled": as_bool(raw["enabled"], "after_expiration[recovery][enabled]"),
            "expires_at": None,
            "url": None,
        }
    }


def create_from_params(ctx: Ctx, params: dict[str, Any]) -> JSON:
    """A session made by the sandbox itself (a payment link's, a recovered one) from request
    parameters: consumed ones by `create`, the rest stored by name, as for an API request."""
    op = spec.operation("POST", "/v1/checkout/sessions")
    assert op is not None
    route = ctx.sandbox.router.match("POST", "/v1/checkout/sessions")
    assert route is not None
    inner = ctx.derive(params)
    inner.rest = accepted.split(op, route[0].consumes, params)
    cs = create(inner)
    inner.store_rest(cs)
    return cs


def refresh(acct: Account, cs: JSON) -> JSON:
    """Expire an open session whose ``expires_at`` has passed (Stripe does this lazily too)."""
    if cs["status"] == "open" and cs["expires_at"] <= now():
        _expire(acct, cs, int(cs["expires_at"]))
    return cs


def _expire(acct: Account, cs: JSON, at: int) -> None:
    before = snapshot(cs)
    cs["status"] = "expired"
    cs["url"] = None
    recovery = (cs.get("after_expiration") or {}).get("recovery")
    if recovery and recovery["enabled"]:
        recovery["expires_at"] = at + RECOVERY_DAYS * DAY
        recovery["url"] = f"{acct.priv(cs).get('base_url', '')}/c/recover/{cs['id']}"
    acct.emit("checkout.session.expired", cs, changed(before, cs))


def recover(ctx: Ctx, cs: JSON) -> JSON:
    """The session a recovery URL opens: a new one like ``cs`` (the one opened before, while open)."""
    refresh(ctx.acct, cs)
    recovery = (cs.get("after_expiration") or {}).get("recovery") or {}
    if cs["status"] != "expired" or not recovery.get("url"):
        raise invalid("This Checkout Session has no recovery link.", param="session")
    if now() >= int(recovery["expires_at"]):
        raise invalid("This recovery link has expired.", param="session")
    priv = ctx.acct.priv(cs)
    earlier = ctx.acct.find("checkout.session", priv.get("recovered_to"))
    if earlier is not None and refresh(ctx.acct, earlier)["status"] == "open":
        return earlier
    params = {
        k: v for k, v in priv["params"].items() if k not in ("expires_at", "after_expiration", "discounts")
    }
    if recovery["allow_promotion_codes"]:
        params["allow_promotion_codes"] = "true"
    fresh = create_from_params(ctx, params)
    fresh["recovered_from"] = cs["id"]
    priv["recovered_to"] = fresh["id"]
    return fresh


def retrieve(ctx: Ctx) -> JSON:
    return refresh(ctx.acct, ctx.acct.get("checkout.session", ctx.path_params["session"], param="session"))


def update(ctx: Ctx) -> JSON:
    cs = ctx.acct.get("checkout.session", ctx.path_params["session"], param="session")
    if "metadata" in ctx.params:
        cs["metadata"] = apply_metadata(cs["metadata"], ctx.params["metadata"])
    return cs


def expire(ctx: Ctx) -> JSON:
    cs = refresh(ctx.acct, ctx.acct.get("checkout.session", ctx.path_params["session"], param="session"))
    if cs["status"] != "open":
        raise invalid(
            f"Only Checkout Sessions with a status of `open` can be expired. This session has a status of "
            f"`{cs['status']}`.",
            param="session",
        )
    _expire(ctx.acct, cs, now())
    return cs


def list_(ctx: Ctx) -> JSON:
    p = ctx.params
    filters = {
        k: p[k] for k in ("customer", "status", "payment_intent", "subscription", "payment_link") if k in p
    }
    if "status" in filters:
        as_enum(filters["status"], "status", ("complete", "expired", "open"))
    for cs in ctx.acct.of_type("checkout.session"):
        if cs["status"] == "open":
            refresh(ctx.acct, cs)

    def pred(o: JSON) -> bool:
        return all(o.get(k) == v for k, v in filters.items())

    return paginate(ctx.acct, "checkout.session", p, "/v1/checkout/sessions", pred)


def line_items(ctx: Ctx) -> JSON:
    cs = ctx.acct.get("checkout.session", ctx.path_params["session"], param="session")
    ids = ctx.acct.priv(cs).get("line_item_ids", [])
    # Stripe lists line items in the order given, so page over them oldest-first.
    return paginate(
        ctx.acct, "item", ctx.params, f"/v1/checkout/sessions/{cs['id']}/line_items", ids=list(reversed(ids))
    )


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/checkout/sessions",
        create,
        consumes=(
            "after_expiration",
            "allow_promotion_codes",
            "billing_address_collection",
            "cancel_url",
            "client_reference_id",
            "consent_collection",
            "currency",
            "custom_fields",
            "customer",
            "customer_creation",
            "customer_email",
            "customer_update",
            "discounts",
            "excluded_payment_method_types",
            "expires_at",
            "line_items",
            "metadata",
            "mode",
            "payment_intent_data.capture_method",
            "payment_intent_data.description",
            "payment_intent_data.metadata",
            "payment_intent_data.receipt_email",
            "payment_intent_data.setup_future_usage",
            *(f"payment_intent_data.{name}" for name in connect_charges.FIELDS),
            "payment_method_types",
            "phone_number_collection",
            "redirect_on_completion",
            "return_url",
            "setup_intent_data.metadata",
            "shipping_address_collection",
            "shipping_options",
            "subscription_data.description",
            "subscription_data.metadata",
            "subscription_data.trial_period_days",
            "success_url",
            "ui_mode",
        ),
    )
    router.add("GET", "/v1/checkout/sessions", list_)
    router.add("GET", "/v1/checkout/sessions/{session}", retrieve)
    router.add("POST", "/v1/checkout/sessions/{session}", update, consumes=("metadata",))
    router.add("POST", "/v1/checkout/sessions/{session}/expire", expire, consumes=())
    router.add("GET", "/v1/checkout/sessions/{session}/line_items", line_items)
